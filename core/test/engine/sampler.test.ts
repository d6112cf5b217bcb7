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

  it('selectTop ranks NaN as -Infinity and keeps the lower id among equals', () => {
    const rnd = testRng(8);
    const v = Float32Array.from({ length: 3000 }, () => (rnd() < 0.2 ? NaN : rnd() < 0.2 ? -Infinity : Math.round(rnd() * 20)));
    const key = (i: number) => (Number.isNaN(v[i]!) ? -Infinity : v[i]!);
    const ref = Array.from(v.keys()).sort((a, b) => (key(b) === key(a) ? a - b : key(b) > key(a) ? 1 : -1));
    for (const k of [1, 3, 40, 200]) expect(Array.from(selectTop(v, k))).toEqual(ref.slice(0, k));
    // fewer finite entries than k: the rest are filled in id order
    expect(Array.from(selectTop(f32([NaN, 2, -Infinity, NaN, 1]), 4))).toEqual([1, 4, 0, 2]);
  });

  it('argmax of a Float32Array agrees with the generic path on NaN, infinities and ties', () => {
    const rnd = testRng(11);
    const specials = [NaN, -Infinity, Infinity, 0, -0];
    for (let trial = 0; trial < 200; trial++) {
      const n = 1 + Math.floor(rnd() * 40);
      const v = Float32Array.from({ length: n }, () => (rnd() < 0.3 ? specials[Math.floor(rnd() * specials.length)]! : Math.round(rnd() * 6) - 3));
      const asArray = Array.from(v); // a plain array takes the generic path
      let expected = 0;
      for (let i = 0; i < n; i++) if (v[i]! > (v[expected]! === v[expected]! ? v[expected]! : -Infinity)) expected = i;
      expect(argmax(v)).toBe(argmax(asArray));
      expect(argmax(v)).toBe(expected);
    }
    expect(argmax(f32([NaN, NaN]))).toBe(0);
    expect(argmax(new Float32Array(0))).toBe(-1);
  });

  describe('greedyTokens (a step\'s greedy rows at once)', () => {
    const V = 50;
    const rnd = testRng(21);
    const rows = (n: number) => Float32Array.from({ length: n * V }, () => Math.round(rnd() * 40) / 4); // ties happen
    const rowOf = (logits: Float32Array, r: number) => logits.subarray(r * V, (r + 1) * V);
    const countingKernel = () => {
      const calls: Array<{ rows: number; cols: number }> = [];
      const kernel = (x: Float32Array, n: number, cols: number) => {
        calls.push({ rows: n, cols });
        return Int32Array.from({ length: n }, (_, r) => argmax(x.subarray(r * cols, (r + 1) * cols)));
      };
      return { calls, kernel };
    };

    it('asks the kernel once for the whole step and marks only plain-greedy rows', () => {
      const { calls, kernel } = countingKernel();
      const s = new Sampler(V, [7], kernel);
      const logits = rows(5);
      const plain = greedy(10);
      const owners = [
        { params: plain, state: s.createState([], plain) },
        { params: params({ seed: 3 }), state: s.createState([], params({ seed: 3 })) }, // sampled
        undefined, // a row nobody samples (its request ended)
        { params: greedy(10, { repetitionPenalty: 1.3 }), state: s.createState([1, 2], greedy(10, { repetitionPenalty: 1.3 })) }, // penalised: full path
        { params: greedy(10, { topK: 1, temperature: 0.7 }), state: s.createState([], greedy(10, { topK: 1, temperature: 0.7 })) }, // top-k 1 is greedy
      ];
      const got = s.greedyTokens(logits, owners);
      expect(calls).toEqual([{ rows: 5, cols: V }]);
      expect(Array.from(got)).toEqual([argmax(rowOf(logits, 0)), -1, -1, -1, argmax(rowOf(logits, 4))]);
    });

    it('a row stops being plain greedy while min_tokens masks EOS', () => {
      const s = new Sampler(V, [7]);
      const p = greedy(10, { minNewTokens: 1 });
      const st = s.createState([], p);
      expect(s.isPlainGreedy(p, st)).toBe(false);
      st.generated = 1;
      expect(s.isPlainGreedy(p, st)).toBe(true);
    });

    it('sample() with the precomputed token gives what sample() alone gives, for every kind of row', () => {
      const { kernel } = countingKernel();
      const kinds = [greedy(30), greedy(30, { minNewTokens: 3 }), greedy(30, { frequencyPenalty: 0.5 }), params({ seed: 9, topP: 0.9 }), greedy(30, { returnLogprob: true, topLogprobs: 2 })];
      const withKernel = new Sampler(V, [7], kernel);
      const alone = new Sampler(V, [7]);
      const statesA = kinds.map((p) => withKernel.createState([3, 4], p));
      const statesB = kinds.map((p) => alone.createState([3, 4], p));
      for (let step = 0; step < 12; step++) {
        const logits = rows(kinds.length);
        const hints = withKernel.greedyTokens(logits, kinds.map((p, i) => ({ params: p, state: statesA[i]! })));
        kinds.forEach((p, i) => {
          const a = withKernel.sample(rowOf(logits, i), p, statesA[i]!, hints[i]!);
          const b = alone.sample(rowOf(logits, i), p, statesB[i]!);
          expect(a).toEqual(b);
        });
      }
    });

    it('falls back to the JS argmax when the kernel throws or answers nonsense', () => {
      const logits = rows(3);
      const expected = [0, 1, 2].map((r) => argmax(rowOf(logits, r)));
      const bad = [
        () => {
          throw new Error('kernel unavailable');
        },
        () => new Int32Array(2), // wrong length
        () => Int32Array.from([0, V, 1]), // out of range
        () => [0, 0, 0] as unknown as Int32Array, // not an Int32Array
      ];
      for (const kernel of bad) {
        const s = new Sampler(V, [], kernel);
        const p = greedy(5);
        const got = s.greedyTokens(logits, [0, 1, 2].map(() => ({ params: p, state: s.createState([], p) })));
        expect(Array.from(got)).toEqual(expected);
      }
      // no kernel at all: the JS loop, row by row
      const s = new Sampler(V, []);
      const p = greedy(5);
      expect(Array.from(s.greedyTokens(logits, [0, 1, 2].map(() => ({ params: p, state: s.createState([], p) }))))).toEqual(expected);
    });

    it('leaves every row to sample() when the logits do not cover the rows', () => {
      const { calls, kernel } = countingKernel();
      const s = new Sampler(V, [], kernel);
      const p = greedy(5);
      const got = s.greedyTokens(rows(2), [0, 1, 2].map(() => ({ params: p, state: s.createState([], p) })));
      expect(Array.from(got)).toEqual([-1, -1, -1]);
      expect(calls).toHaveLength(0);
    });
  });
});
