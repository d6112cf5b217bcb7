import { describe, expect, it } from 'vitest';
import { Sampler } from '../../src/engine/sampler.ts';
import { applyPenalties, createPenaltyHistory, recordGenerated } from '../../src/engine/sampling/penalties.ts';
import { uniformAt } from '../../src/engine/sampling/rng.ts';
import { argmax, selectTop } from '../../src/engine/sampling/select-top.ts';
import { TruncationScratch, truncate } from '../../src/engine/sampling/truncation.ts';
import type { SamplingParams } from '../../src/engine/types.ts';
import { greedy, testRng } from './fake-model.ts';

const params = (extra: Partial<SamplingParams>): SamplingParams => greedy(100, { temperature: 1, ...extra });
const f32 = (xs: number[]) => Float32Array.from(xs);

/** draws `n` tokens from fixed logits, as one request's successive steps */
function histogram(logits: number[], p: SamplingParams, n = 4000): number[] {
  const sampler = new Sampler(logits.length, []);
  const state = sampler.createState([], p);
  const counts = new Array<number>(logits.length).fill(0);
  for (let i = 0; i < n; i++) counts[sampler.sample(f32(logits), p, state).tokenId]!++;
  return counts.map((c) => c / n);
}

/** straightforward reference: softmax(l/T) → top-k → renormalise → top-p → min-p, full sorts */
function referenceKept(logits: Float32Array, p: { temperature: number; topK: number; topP: number; minP: number }): Set<number> {
  const ids = Array.from(logits.keys()).sort((a, b) => logits[b]! - logits[a]! || a - b);
  let kept = p.topK > 0 ? ids.slice(0, p.topK) : ids;
  const max = logits[ids[0]!]!;
  const w = (id: number) => Math.exp((logits[id]! - max) / p.temperature);
  if (p.topP < 1) {
    const total = kept.reduce((s, id) => s + w(id), 0);
    let cum = 0;
    const next: number[] = [];
    for (const id of kept) {
      if (cum >= p.topP * total) break;
      next.push(id);
      cum += w(id);
    }
    kept = next;
  }
  if (p.minP > 0) kept = kept.filter((id) => w(id) >= p.minP);
  return new Set(kept);
}

describe('sampler', () => {
  it('greedy picks the argmax, ties going to the lowest id', () => {
    const s = new Sampler(5, []);
    const p = greedy(10);
    const st = s.createState([], p);
    expect(s.sample(f32([1, 3, 3, 2, -1]), p, st).tokenId).toBe(1);
    expect(s.sample(f32([0, 0, 0, 0, 0]), p, st).tokenId).toBe(0);
    expect(s.sample(f32([NaN, 1, NaN, 0, 1]), p, st).tokenId).toBe(1);
    expect(argmax(f32([-Infinity, -Infinity]))).toBe(0);
  });

  it('same seed gives the same tokens; draws depend only on (seed, index)', () => {
    const rnd = testRng(5);
    const logits = Array.from({ length: 50 }, () => rnd() * 4);
    const p = params({ seed: 1234, temperature: 0.9, topP: 0.95 });
    const run = (interleave: boolean) => {
      const s = new Sampler(50, []);
      const st = s.createState([], p);
      const other = s.createState([], params({ seed: 99 }));
      const out: number[] = [];
      for (let i = 0; i < 40; i++) {
        if (interleave) s.sample(f32(logits), params({ seed: 99 }), other); // another request in the batch
        out.push(s.sample(f32(logits), p, st).tokenId);
      }
      return out;
    };
    const a = run(false);
    expect(run(true)).toEqual(a);
    expect(new Set(a).size).toBeGreaterThan(3);
    const otherSeed = (() => {
      const s = new Sampler(50, []);
      const q = { ...p, seed: 4321 };
      const st = s.createState([], q);
      return Array.from({ length: 40 }, () => s.sample(f32(logits), q, st).tokenId);
    })();
    expect(otherSeed).not.toEqual(a);
  });

  it('the random stream is uniform', () => {
    const n = 20000;
    let sum = 0;
    let min = Infinity;
    let max = -Infinity;
    const buckets = new Array<number>(10).fill(0);
    for (let i = 0; i < n; i++) {
      const u = uniformAt(77, i);
      min = Math.min(min, u);
      max = Math.max(max, u);
      sum += u;
      buckets[Math.floor(u * 10)]!++;
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    expect(sum / n).toBeCloseTo(0.5, 1);
    for (const b of buckets) expect(b / n).toBeGreaterThan(0.085);
  });

  it('temperature 1 follows softmax; lower temperature sharpens it', () => {
    const logits = [0, Math.log(2)];
    expect(histogram(logits, params({ seed: 1 }))[1]).toBeCloseTo(2 / 3, 1);
    expect(histogram(logits, params({ seed: 2, temperature: 0.5 }))[1]).toBeCloseTo(0.8, 1);
    expect(histogram(logits, params({ seed: 3, temperature: 1e-4 }))[1]).toBe(1);
  });

  it('top-k keeps the k best tokens, renormalised', () => {
    const h = histogram([3, 2, 1, 0, 2.5], params({ seed: 4, topK: 2 }));
    expect(h[1]! + h[2]! + h[3]!).toBe(0);
    const e = Math.exp(0.5);
    expect(h[0]).toBeCloseTo(e / (1 + e), 1);
  });

  it('top-p keeps the smallest head whose mass reaches p', () => {
    const logits = [0.5, 0.3, 0.15, 0.05].map(Math.log);
    let h = histogram(logits, params({ seed: 5, topP: 0.75 }));
    expect(h[2]! + h[3]!).toBe(0);
    expect(h[0]).toBeCloseTo(0.5 / 0.8, 1);
    h = histogram(logits, params({ seed: 6, topP: 0.85 }));
    expect(h[3]).toBe(0);
    expect(h[2]).toBeGreaterThan(0.1);
  });

  it('min-p drops tokens below min_p times the best probability', () => {
    const logits = [0.5, 0.3, 0.15, 0.05].map(Math.log);
    const h = histogram(logits, params({ seed: 7, minP: 0.2 }));
    expect(h[3]).toBe(0);
    expect(h[2]).toBeGreaterThan(0.1);
  });

  it('truncation matches a full-sort reference on large random vocabularies', () => {
    const rnd = testRng(9);
    const vocab = 8000;
    const scratch = new TruncationScratch(vocab);
    const cases = [
      { temperature: 1, topK: 0, topP: 0.9, minP: 0 },
      { temperature: 0.7, topK: 0, topP: 0.5, minP: 0 },
      { temperature: 1.3, topK: 40, topP: 0.8, minP: 0 },
      { temperature: 1, topK: 0, topP: 1, minP: 0.05 },
      { temperature: 0.6, topK: 500, topP: 0.95, minP: 0.01 },
      { temperature: 1, topK: 0, topP: 0.3, minP: 0.3 },
    ];
    for (const c of cases) {
      for (const spread of [0.05, 1, 6]) {
        const logits = Float32Array.from({ length: vocab }, () => (rnd() - 0.5) * 2 * spread * (rnd() < 0.01 ? 3 : 1));
        const got = truncate(logits, c, scratch);
        const mine = new Set(Array.from(got.ids.subarray(0, got.count)));
        const ref = referenceKept(logits, c);
        expect(mine.size, JSON.stringify({ c, spread })).toBe(ref.size);
        for (const id of ref) expect(mine.has(id)).toBe(true);
      }
    }
  });

  it('repetition penalty divides positive and multiplies negative logits of prompt and output tokens', () => {
    const p = params({ repetitionPenalty: 2 });
    const h = createPenaltyHistory([1, 2], p);
    recordGenerated(h, 3);
    const logits = f32([4, 4, -1, 3, 5]);
    applyPenalties(logits, p, h);
    expect(Array.from(logits)).toEqual([4, 2, -2, 1.5, 5]);
    // greedy avoids the repeated token once penalised
    const s = new Sampler(3, []);
    const g = greedy(5, { repetitionPenalty: 3 });
    expect(s.sample(f32([2, 1.5, 0]), g, s.createState([0], g)).tokenId).toBe(1);
  });

  it('presence and frequency penalties count generated tokens only (OpenAI semantics)', () => {
    const p = params({ presencePenalty: 0.5, frequencyPenalty: 0.25 });
    const h = createPenaltyHistory([0, 0, 0], p);
    recordGenerated(h, 1);
    recordGenerated(h, 1);
    recordGenerated(h, 2);
    const logits = f32([1, 1, 1, 1]);
    applyPenalties(logits, p, h);
    expect(Array.from(logits)).toEqual([1, 1 - 0.5 - 0.5, 1 - 0.5 - 0.25, 1]);
  });

  it('min_new_tokens masks EOS and stop ids until reached; ignore_eos leaves EOS samplable', () => {
    const s = new Sampler(4, [3]);
    const logits = f32([0, 1, 5, 9]); // EOS (3) best, then stop id 2
    const p = greedy(10, { minNewTokens: 2, stopTokenIds: [2] });
    const st = s.createState([], p);
    expect(s.sample(logits, p, st).tokenId).toBe(1);
    expect(s.sample(logits, p, st).tokenId).toBe(1);
    expect(s.sample(logits, p, st).tokenId).toBe(3);
    const q = greedy(10, { minNewTokens: 2, ignoreEos: true });
    expect(s.sample(logits, q, s.createState([], q)).tokenId).toBe(3);
  });

  it('logprobs are log_softmax of the raw logits, top-N sorted, ties to the lower id', () => {
    const raw = [1, 3, 3, 0.5, -2];
    const s = new Sampler(5, []);
    const p = params({ temperature: 0.3, repetitionPenalty: 5, returnLogprob: true, topLogprobs: 3, seed: 1 });
    const r = s.sample(f32(raw), p, s.createState([1, 2], p));
    const z = Math.log(raw.reduce((a, x) => a + Math.exp(x), 0));
    expect(r.logprob!.tokenId).toBe(r.tokenId);
    expect(r.logprob!.logprob).toBeCloseTo(raw[r.tokenId]! - z, 6);
    expect(r.logprob!.top.map((t) => t.tokenId)).toEqual([1, 2, 0]);
    r.logprob!.top.forEach((t) => expect(t.logprob).toBeCloseTo(raw[t.tokenId]! - z, 6));
    expect(Math.fround(r.logprob!.logprob)).toBe(r.logprob!.logprob);
  });

  it('selectTop agrees with a full sort', () => {
    const rnd = testRng(3);
    const v = Float32Array.from({ length: 5000 }, () => Math.round(rnd() * 300) / 10); // many ties
    const ref = Array.from(v.keys()).sort((a, b) => v[b]! - v[a]! || a - b);
    for (const k of [1, 5, 64, 700, 4999]) expect(Array.from(selectTop(v, k))).toEqual(ref.slice(0, k));
  });
});
