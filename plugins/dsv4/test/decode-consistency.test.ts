/**
 * Self-consistency of the forward pass over the V4 cache (fixture weights, no reference needed): decoding
 * one token at a time equals one full forward over the same tokens; so do chunked prefill, other block
 * sizes (entries whose windows straddle blocks), batching with other sequences, and reusing another
 * sequence's full blocks as a cached prefix (what the engine's radix cache does).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CausalLM, Checkpoint } from '@plexus/core';
import { loadCheckpoint } from '@plexus/core/internal';
import { createDsv4Model } from '../src/model/dsv4-model.ts';
import { testBuildContext } from './support/build-context.ts';
import { fixtureDir } from './support/fixtures.ts';
import { maxAbsDiff } from './support/logprobs.ts';
import { V4Driver, type DriverSequence } from './support/v4-driver.ts';

const SAME = 1e-4;
const tokens = (n: number, seed: number) => Array.from({ length: n }, (_, i) => (i * 37 + seed * 101 + 11) % 997 + 3);

describe('decode consistency over the V4 cache (dsv4-hf-c16: sliding, CSA ratio 4, HCA ratio 16)', () => {
  let checkpoint: Checkpoint;
  let model: CausalLM;

  beforeAll(async () => {
    checkpoint = await loadCheckpoint(fixtureDir('dsv4-hf-c16'));
    model = createDsv4Model(checkpoint, testBuildContext());
  });
  afterAll(() => {
    model?.dispose();
    checkpoint?.tensors.close();
  });

  const full = (ids: number[], blockSize = 16): Float32Array => {
    const d = new V4Driver(model, Math.ceil(ids.length / blockSize) + 1, blockSize);
    const out = Float32Array.from(d.step([{ seq: d.sequence(ids.length), tokens: ids }])[0]!);
    d.dispose();
    return out;
  };

  it('step-by-step decode equals one full forward, at every checked length', () => {
    const ids = tokens(70, 1);
    const d = new V4Driver(model, 8);
    const seq = d.sequence(ids.length);
    const checked = new Map<number, Float32Array>();
    for (let n = 1; n <= ids.length; n++) {
      const logits = d.step([{ seq, tokens: [ids[n - 1]!] }])[0]!;
      if ([4, 17, 33, 64, 70].includes(n)) checked.set(n, Float32Array.from(logits));
    }
    for (const [n, stepwise] of checked) {
      const once = full(ids.slice(0, n));
      expect(once.every(Number.isFinite)).toBe(true);
      expect(maxAbsDiff(stepwise, once), `length ${n}`).toBeLessThan(SAME);
    }
    expect(maxAbsDiff(checked.get(64)!, checked.get(70)!)).toBeGreaterThan(1e-2);
    d.dispose();
  });

  it('chunked prefill (13 + 24 + 1 + 29) ends on the same logits', () => {
    const ids = tokens(67, 2);
    const d = new V4Driver(model, 8);
    const seq = d.sequence(ids.length);
    let logits: Float32Array | undefined;
    for (const [a, b] of [[0, 13], [13, 37], [37, 38], [38, 67]] as const) logits = d.step([{ seq, tokens: ids.slice(a, b) }])[0]!;
    expect(maxAbsDiff(logits!, full(ids))).toBeLessThan(SAME);
    d.dispose();
  });

  it('block sizes 5 and 64 give the logits of block size 16', () => {
    const ids = tokens(75, 3);
    const ref = full(ids, 16);
    expect(maxAbsDiff(full(ids, 5), ref)).toBeLessThan(SAME);
    expect(maxAbsDiff(full(ids, 64), ref)).toBeLessThan(SAME);
  });

  it('a batch of sequences gives each one its own logits, also in a mixed decode + prefill step', () => {
    const a = tokens(41, 4), b = tokens(9, 5), c = tokens(66, 6);
    const d = new V4Driver(model, 24);
    const [sa, sb, sc] = [d.sequence(48), d.sequence(48), d.sequence(80)];
    const [la, lb, lc] = d.step([{ seq: sa, tokens: a }, { seq: sb, tokens: b }, { seq: sc, tokens: c }]);
    expect(maxAbsDiff(la!, full(a))).toBeLessThan(SAME);
    expect(maxAbsDiff(lb!, full(b))).toBeLessThan(SAME);
    expect(maxAbsDiff(lc!, full(c))).toBeLessThan(SAME);
    expect(maxAbsDiff(la!, lb!)).toBeGreaterThan(1e-2);
    const [da, db] = d.step([{ seq: sa, tokens: [7] }, { seq: sb, tokens: [8, 9, 10, 11, 12, 13, 14] }]);
    expect(maxAbsDiff(da!, full([...a, 7]))).toBeLessThan(SAME);
    expect(maxAbsDiff(db!, full([...b, 8, 9, 10, 11, 12, 13, 14]))).toBeLessThan(SAME);
    d.dispose();
  });

  it('a sequence that reuses another one\'s full blocks as its cached prefix gets the from-scratch logits', () => {
    const prefix = tokens(48, 7);
    const tailA = tokens(20, 8), tailB = tokens(27, 9);
    const d = new V4Driver(model, 16);
    const owner = d.sequence(prefix.length + tailA.length);
    d.step([{ seq: owner, tokens: [...prefix, ...tailA] }]);
    // B shares the owner's first 3 blocks (positions 0..47, all full), then has blocks of its own
    const own = d.sequence(tailB.length);
    const shared: DriverSequence = { blockTable: Int32Array.from([...owner.blockTable.subarray(0, 3), ...own.blockTable]), kvLen: prefix.length };
    const fromCache = d.step([{ seq: shared, tokens: tailB }])[0]!;
    expect(maxAbsDiff(fromCache, full([...prefix, ...tailB]))).toBeLessThan(SAME);
    // and the owner's own continuation is untouched by B's writes
    const ownerNext = d.step([{ seq: owner, tokens: [5] }])[0]!;
    expect(maxAbsDiff(ownerNext, full([...prefix, ...tailA, 5]))).toBeLessThan(SAME);
    d.dispose();
  });
});
