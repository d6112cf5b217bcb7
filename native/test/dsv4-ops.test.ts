/**
 * The DeepSeek-V4 kernels of the addon, on both paths: each against a float64 formula written from the op's
 * definition (odd sizes that are no multiple of the SIMD widths), the edge cases (empty key lists, sinks,
 * visible counts outside [0, numKeys], all -Infinity candidates), the two paths against each other at model
 * sizes, and the validation every bad argument must hit instead of reading out of bounds.
 */
import { describe, expect, it } from 'vitest';
import { dsv4Ops, hasDsv4Kernels, hasOptimizedKernels, type KernelVariant } from '../src/index.ts';

const VARIANTS: KernelVariant[] = hasOptimizedKernels() ? ['optimized', 'portable'] : ['portable'];

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s / 4294967296 - 0.5;
  };
}
const randoms = (n: number, r: () => number, amplitude = 2) => Float32Array.from({ length: n }, () => r() * amplitude);

/** |a - b| <= tol · (1 + |b|), element by element, with the first offender in the message */
function expectClose(actual: Float32Array, expected: ArrayLike<number>, tol: number, what: string): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    const e = expected[i]!, a = actual[i]!;
    if (e === -Infinity || Number.isNaN(e)) {
      expect(a, `${what}[${i}]`).toBe(e);
      continue;
    }
    if (!(Math.abs(a - e) <= tol * (1 + Math.abs(e)))) expect(a, `${what}[${i}]`).toBeCloseTo(e, 10);
  }
}

function refSparseAttention(q: Float32Array, nQ: number, H: number, D: number, keys: Float32Array, keyIndex: Int32Array, keyStart: Int32Array, sinks: Float32Array, scale: number): Float64Array {
  const out = new Float64Array(nQ * H * D);
  for (let i = 0; i < nQ; i++) {
    const ks = Array.from(keyIndex.subarray(keyStart[i]!, keyStart[i + 1]!));
    if (ks.length === 0) continue;
    for (let h = 0; h < H; h++) {
      const logits = ks.map((k) => {
        let dot = 0;
        for (let d = 0; d < D; d++) dot += q[(i * H + h) * D + d]! * keys[k * D + d]!;
        return dot * scale;
      });
      const top = Math.max(...logits, sinks[h]!);
      const z = logits.reduce((s, l) => s + Math.exp(l - top), 0) + Math.exp(sinks[h]! - top);
      ks.forEach((k, j) => {
        const p = Math.exp(logits[j]! - top) / z;
        for (let d = 0; d < D; d++) out[(i * H + h) * D + d]! += p * keys[k * D + d]!;
      });
    }
  }
  return out;
}

function refIndexer(q: Float32Array, w: Float32Array, keys: Float32Array, visible: Int32Array, nQ: number, H: number, D: number, T: number): Float64Array {
  const out = new Float64Array(nQ * T);
  for (let i = 0; i < nQ; i++) {
    for (let t = 0; t < T; t++) {
      if (t >= visible[i]!) {
        out[i * T + t] = -Infinity;
        continue;
      }
      let s = 0;
      for (let h = 0; h < H; h++) {
        let dot = 0;
        for (let d = 0; d < D; d++) dot += q[(i * H + h) * D + d]! * keys[t * D + d]!;
        s += w[i * H + h]! * Math.max(0, dot);
      }
      out[i * T + t] = s;
    }
  }
  return out;
}

function refCompress(kv: Float32Array, score: Float32Array, W: number, C: number, D: number): Float64Array {
  const out = new Float64Array(W * D);
  for (let w = 0; w < W; w++) {
    for (let d = 0; d < D; d++) {
      const at = (c: number) => (w * C + c) * D + d;
      const live = Array.from({ length: C }, (_, c) => c).filter((c) => score[at(c)] !== -Infinity);
      if (live.length === 0) continue;
      const top = Math.max(...live.map((c) => score[at(c)]!));
      const z = live.reduce((s, c) => s + Math.exp(score[at(c)]! - top), 0);
      out[w * D + d] = live.reduce((s, c) => s + (Math.exp(score[at(c)]! - top) / z) * kv[at(c)]!, 0);
    }
  }
  return out;
}

/** per query a random key list (repeats allowed, some empty) over numKeys rows */
function keyLists(nQ: number, numKeys: number, maxLen: number, r: () => number): { keyIndex: Int32Array; keyStart: Int32Array } {
  const keyStart = new Int32Array(nQ + 1);
  const ids: number[] = [];
  for (let i = 0; i < nQ; i++) {
    keyStart[i] = ids.length;
    const len = i === 1 ? 0 : Math.floor((r() + 0.5) * (maxLen + 1));
    for (let j = 0; j < len; j++) ids.push(Math.min(numKeys - 1, Math.floor((r() + 0.5) * numKeys)));
  }
  keyStart[nQ] = ids.length;
  return { keyIndex: Int32Array.from(ids), keyStart };
}

it('the addon has the DeepSeek-V4 kernels', () => {
  expect(hasDsv4Kernels()).toBe(true);
});

describe.each(VARIANTS)('dsv4SparseAttention (%s)', (variant) => {
  const ops = () => dsv4Ops(variant);

  it.each([[1, 1, 1], [3, 5, 13], [4, 7, 67], [2, 9, 130]])('%i queries × %i heads × %i dims match the formula (query 1 has no keys)', (nQ, H, D) => {
    const r = rng(nQ * 100 + H * 10 + D), numKeys = 41;
    const q = randoms(nQ * H * D, r), keys = randoms(numKeys * D, r), sinks = randoms(H, r, 6);
    const { keyIndex, keyStart } = keyLists(nQ, numKeys, 37, r);
    const out = new Float32Array(nQ * H * D).fill(NaN);
    ops().dsv4SparseAttention({ q, out, numQueries: nQ, numHeads: H, headDim: D, keys, keyIndex, keyStart, sinks, scale: 1 / Math.sqrt(D) });
    expectClose(out, refSparseAttention(q, nQ, H, D, keys, keyIndex, keyStart, sinks, 1 / Math.sqrt(D)), 2e-5, 'out');
    if (nQ > 1) expect(Math.max(...out.subarray(H * D, 2 * H * D).map(Math.abs))).toBe(0);
  });

  it('a sink far above every score takes the mass; one far below leaves a plain softmax', () => {
    const r = rng(7), H = 2, D = 12;
    const q = randoms(H * D, r), keys = randoms(5 * D, r);
    const keyIndex = Int32Array.of(0, 1, 2, 3, 4), keyStart = Int32Array.of(0, 5);
    const big = new Float32Array(H * D), none = new Float32Array(H * D);
    ops().dsv4SparseAttention({ q, out: big, numQueries: 1, numHeads: H, headDim: D, keys, keyIndex, keyStart, sinks: Float32Array.of(60, 60), scale: 1 });
    ops().dsv4SparseAttention({ q, out: none, numQueries: 1, numHeads: H, headDim: D, keys, keyIndex, keyStart, sinks: Float32Array.of(-Infinity, -Infinity), scale: 1 });
    expect(Math.max(...big.map(Math.abs))).toBeLessThan(1e-12);
    const plain = refSparseAttention(q, 1, H, D, keys, keyIndex, keyStart, Float32Array.of(-1e30, -1e30), 1);
    expectClose(none, plain, 2e-5, 'no sink');
  });

  it('validates shapes, key ranges and key indices before touching memory', () => {
    const H = 2, D = 4, keys = new Float32Array(3 * D), sinks = new Float32Array(H);
    const base = { q: new Float32Array(2 * H * D), out: new Float32Array(2 * H * D), numQueries: 2, numHeads: H, headDim: D, keys, keyIndex: Int32Array.of(0, 1, 2), keyStart: Int32Array.of(0, 2, 3), sinks, scale: 1 };
    expect(() => ops().dsv4SparseAttention(base)).not.toThrow();
    expect(() => ops().dsv4SparseAttention({ ...base, q: new Float32Array(2 * H * D - 1) })).toThrow(/q has 15 elements/);
    expect(() => ops().dsv4SparseAttention({ ...base, keyStart: Int32Array.of(0, 2) })).toThrow(/keyStart/);
    expect(() => ops().dsv4SparseAttention({ ...base, keyStart: Int32Array.of(0, 2, 4) })).toThrow(/bad key range \[2, 4\) for query 1/);
    expect(() => ops().dsv4SparseAttention({ ...base, keyStart: Int32Array.of(2, 1, 3) })).toThrow(RangeError);
    expect(() => ops().dsv4SparseAttention({ ...base, keyIndex: Int32Array.of(0, 3, 2) })).toThrow(/key 3 of query 0 is outside \[0, 3\)/);
    expect(() => ops().dsv4SparseAttention({ ...base, keyIndex: Int32Array.of(0, -1, 2) })).toThrow(RangeError);
    expect(() => ops().dsv4SparseAttention({ ...base, sinks: new Float32Array(1) })).toThrow(/sinks/);
    expect(() => ops().dsv4SparseAttention({ ...base, out: base.q })).toThrow(/overlap q/);
    expect(() => ops().dsv4SparseAttention({ ...base, headDim: 0 })).toThrow(RangeError);
    expect(() => ops().dsv4SparseAttention({ ...base, scale: NaN })).toThrow(/scale/);
    expect(() => ops().dsv4SparseAttention({ ...base, keys: new Float64Array(12) as unknown as Float32Array })).toThrow(TypeError);
    expect(() => ops().dsv4SparseAttention(null as never)).toThrow(TypeError);
  });
});

describe.each(VARIANTS)('dsv4IndexerScores (%s)', (variant) => {
  const ops = () => dsv4Ops(variant);

  it.each([[1, 1, 1, 1], [3, 5, 7, 37], [9, 4, 24, 70], [2, 7, 130, 17]])('%i queries × %i heads × %i dims over %i keys match the formula', (nQ, H, D, T) => {
    const r = rng(nQ + H * 7 + D * 13 + T);
    const q = randoms(nQ * H * D, r), weights = randoms(nQ * H, r), keys = randoms(T * D, r);
    // every kind of visible count: none, negative, partial (not a multiple of 16), all, beyond numKeys
    const choices = [0, -3, Math.max(1, T - 5), T, T + 9, Math.ceil(T / 3)];
    const visible = Int32Array.from({ length: nQ }, (_, i) => choices[i % choices.length]!);
    const out = new Float32Array(nQ * T).fill(NaN);
    ops().dsv4IndexerScores({ q, weights, keys, visible, out, numQueries: nQ, numHeads: H, headDim: D, numKeys: T });
    expectClose(out, refIndexer(q, weights, keys, visible, nQ, H, D, T), 2e-5, 'scores');
  });

  it('validates shapes and overlaps', () => {
    const base = { q: new Float32Array(12), weights: new Float32Array(3), keys: new Float32Array(20), visible: Int32Array.of(5), out: new Float32Array(5), numQueries: 1, numHeads: 3, headDim: 4, numKeys: 5 };
    expect(() => ops().dsv4IndexerScores(base)).not.toThrow();
    expect(() => ops().dsv4IndexerScores({ ...base, keys: new Float32Array(19) })).toThrow(/keys has 19 elements/);
    expect(() => ops().dsv4IndexerScores({ ...base, weights: new Float32Array(2) })).toThrow(/weights/);
    expect(() => ops().dsv4IndexerScores({ ...base, visible: new Int32Array(0) })).toThrow(/visible/);
    expect(() => ops().dsv4IndexerScores({ ...base, out: new Float32Array(4) })).toThrow(/out/);
    expect(() => ops().dsv4IndexerScores({ ...base, out: base.keys.subarray(0, 5) })).toThrow(/overlap keys/);
    expect(() => ops().dsv4IndexerScores({ ...base, numKeys: -1 })).toThrow(RangeError);
  });
});

describe.each(VARIANTS)('dsv4CompressWindows (%s)', (variant) => {
  const ops = () => dsv4Ops(variant);

  it.each([[1, 1, 1], [3, 8, 19], [2, 128, 9], [5, 4, 67]])('%i windows × %i candidates × %i dims match the formula; -Infinity candidates weigh nothing', (W, C, D) => {
    const r = rng(W * 31 + C * 7 + D);
    const kv = randoms(W * C * D, r), score = randoms(W * C * D, r, 12);
    // window 0: the first half of the candidates missing (the overlapped first window); a channel all missing
    for (let c = 0; c < Math.ceil(C / 2); c++) for (let d = 0; d < D; d++) score[c * D + d] = -Infinity;
    for (let c = 0; c < C; c++) score[c * D + (D - 1)] = -Infinity;
    const out = new Float32Array(W * D).fill(NaN);
    ops().dsv4CompressWindows({ out, kv, score, numWindows: W, numCandidates: C, dim: D });
    expectClose(out, refCompress(kv, score, W, C, D), 2e-5, 'pooled');
    expect(out[D - 1]).toBe(0);
  });

  it('validates shapes and overlaps', () => {
    const base = { out: new Float32Array(6), kv: new Float32Array(24), score: new Float32Array(24), numWindows: 2, numCandidates: 4, dim: 3 };
    expect(() => ops().dsv4CompressWindows(base)).not.toThrow();
    expect(() => ops().dsv4CompressWindows({ ...base, score: new Float32Array(23) })).toThrow(/score has 23 elements/);
    expect(() => ops().dsv4CompressWindows({ ...base, out: new Float32Array(5) })).toThrow(/out/);
    expect(() => ops().dsv4CompressWindows({ ...base, out: base.kv.subarray(0, 6) })).toThrow(/overlap kv/);
    expect(() => ops().dsv4CompressWindows({ ...base, dim: 1.5 })).toThrow(/integer/);
  });
});

describe.runIf(VARIANTS.length === 2)('optimized and portable paths agree at model sizes', () => {
  it('sparse attention: 64 heads × 512 dims, 3 queries over 128 window rows + 200 picks', () => {
    const r = rng(99), nQ = 3, H = 64, D = 512, numKeys = 400;
    const q = randoms(nQ * H * D, r, 0.2), keys = randoms(numKeys * D, r), sinks = randoms(H, r);
    const { keyIndex, keyStart } = keyLists(nQ, numKeys, 328, r);
    const a = new Float32Array(nQ * H * D), b = new Float32Array(nQ * H * D);
    const args = { q, numQueries: nQ, numHeads: H, headDim: D, keys, keyIndex, keyStart, sinks, scale: 1 / Math.sqrt(D) };
    dsv4Ops('optimized').dsv4SparseAttention({ ...args, out: a });
    dsv4Ops('portable').dsv4SparseAttention({ ...args, out: b });
    expectClose(a, b, 1e-5, 'optimized vs portable');
  });

  it('indexer scores: 64 heads × 128 dims, 20 queries over 300 keys', () => {
    const r = rng(98), nQ = 20, H = 64, D = 128, T = 300;
    const q = randoms(nQ * H * D, r), weights = randoms(nQ * H, r, 0.1), keys = randoms(T * D, r);
    const visible = Int32Array.from({ length: nQ }, (_, i) => 15 * i + 7);
    const a = new Float32Array(nQ * T), b = new Float32Array(nQ * T);
    const args = { q, weights, keys, visible, numQueries: nQ, numHeads: H, headDim: D, numKeys: T };
    dsv4Ops('optimized').dsv4IndexerScores({ ...args, out: a });
    dsv4Ops('portable').dsv4IndexerScores({ ...args, out: b });
    expectClose(a, b, 1e-5, 'optimized vs portable');
  });
});
