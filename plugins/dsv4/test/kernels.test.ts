/**
 * The dsv4 kernel rows against plain formulas: sparse attention with sinks over explicit key lists,
 * lightning-indexer scores, the compressor's per-channel softmax pooling; and the top-k the indexer uses
 * keeps the lower index on ties (dsv4-architecture.md §6.4).
 */
import { describe, expect, it } from 'vitest';
import { nativeOps } from '@plexus/native';
import { compressWindows } from '../src/kernels/compress-windows.ts';
import { indexerScores } from '../src/kernels/indexer-scores.ts';
import { sparseAttention } from '../src/kernels/sparse-attention.ts';
import { randoms, rng } from './support/random-values.ts';

describe('dsv4 kernels', () => {
  it('sparse attention = softmax over [keys, sink] without the sink column, per head', () => {
    const r = rng(1), H = 3, D = 8, nK = 7;
    const q = randoms(2 * H * D, r), keys = randoms(nK * D, r), sinks = Float32Array.of(0.3, -2, 5);
    const keyIndex = Int32Array.of(0, 3, 6, 2, 5), keyStart = Int32Array.of(0, 3, 5);
    const out = new Float32Array(2 * H * D);
    sparseAttention({ q, out, numQueries: 2, numHeads: H, headDim: D, keys, keyIndex, keyStart, sinks, scale: 0.5 });
    for (let i = 0; i < 2; i++) {
      const ks = [...keyIndex.subarray(keyStart[i]!, keyStart[i + 1]!)];
      for (let h = 0; h < H; h++) {
        const logits = ks.map((k) => 0.5 * Array.from({ length: D }, (_, d) => q[(i * H + h) * D + d]! * keys[k * D + d]!).reduce((a, b) => a + b, 0));
        const z = logits.reduce((a, l) => a + Math.exp(l), 0) + Math.exp(sinks[h]!);
        for (let d = 0; d < D; d++) {
          const expected = ks.reduce((a, k, j) => a + (Math.exp(logits[j]!) / z) * keys[k * D + d]!, 0);
          expect(out[(i * H + h) * D + d]).toBeCloseTo(expected, 5);
        }
      }
    }
    // a large sink takes probability mass away from every key
    const big = new Float32Array(out.length);
    sparseAttention({ q, out: big, numQueries: 2, numHeads: H, headDim: D, keys, keyIndex, keyStart, sinks: Float32Array.of(30, 30, 30), scale: 0.5 });
    expect(Math.max(...big.map(Math.abs))).toBeLessThan(1e-6);
  });

  it('indexer scores = Σ_h w·ReLU(q·k) for visible keys, -Infinity beyond', () => {
    const r = rng(2), H = 4, D = 6, T = 5, nQ = 3;
    const q = randoms(nQ * H * D, r), weights = randoms(nQ * H, r), keys = randoms(T * D, r), visible = Int32Array.of(5, 2, 0);
    const out = new Float32Array(nQ * T);
    indexerScores({ q, weights, keys, visible, out, numQueries: nQ, numHeads: H, headDim: D, numKeys: T });
    for (let i = 0; i < nQ; i++) {
      for (let t = 0; t < T; t++) {
        if (t >= visible[i]!) {
          expect(out[i * T + t]).toBe(-Infinity);
          continue;
        }
        let s = 0;
        for (let h = 0; h < H; h++) {
          let dot = 0;
          for (let d = 0; d < D; d++) dot += q[(i * H + h) * D + d]! * keys[t * D + d]!;
          s += weights[i * H + h]! * Math.max(0, dot);
        }
        expect(out[i * T + t]).toBeCloseTo(s, 5);
      }
    }
  });

  it('top-k over indexer scores keeps the lower index on ties, and -Infinity entries rank last', () => {
    const scores = Float32Array.of(0, 2, 0, 2, 0, -Infinity, 1, 0);
    for (const variant of ['optimized', 'portable'] as const) {
      const { indices } = nativeOps(variant).topk(scores, 1, 8, 5);
      expect([...indices]).toEqual([1, 3, 6, 0, 2]);
    }
  });

  it('compressor pooling = per-channel softmax over candidates; -Infinity candidates weigh nothing', () => {
    const r = rng(3), C = 4, D = 3;
    const kv = randoms(C * D, r), score = randoms(C * D, r, 6);
    for (let d = 0; d < D; d++) score[0 * D + d] = -Infinity;
    const out = new Float32Array(D);
    compressWindows({ out, kv, score, numWindows: 1, numCandidates: C, dim: D });
    for (let d = 0; d < D; d++) {
      const z = [1, 2, 3].reduce((a, c) => a + Math.exp(score[c * D + d]!), 0);
      const expected = [1, 2, 3].reduce((a, c) => a + (Math.exp(score[c * D + d]!) / z) * kv[c * D + d]!, 0);
      expect(out[d]).toBeCloseTo(expected, 5);
    }
    expect(() => compressWindows({ out, kv, score, numWindows: 2, numCandidates: C, dim: D })).toThrow(RangeError);
  });
});
