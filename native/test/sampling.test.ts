import { describe, expect, it } from 'vitest';
import { nativeOps } from '../src/index.ts';
import { randomF32, refArgmax, refTopk, rng } from './reference.ts';
import { VARIANTS } from './variants.ts';

/** Random logits with many exact ties (values drawn from a small set). */
function tiedLogits(n: number, seed: number): Float32Array {
  const r = rng(seed);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = Math.floor(r() * 7) - 3;
  return x;
}

describe.each(VARIANTS)('argmax / topk (%s)', (variant) => {
  const ops = nativeOps(variant);

  it('argmax matches the reference and takes the lowest index on ties', () => {
    for (const cols of [1, 3, 8, 9, 31, 1000, 151_936]) {
      const rows = cols > 10_000 ? 2 : 4;
      for (const x of [randomF32(rows * cols, cols), tiedLogits(rows * cols, cols + 1)]) {
        expect(Array.from(ops.argmax(x, rows, cols))).toEqual(Array.from(refArgmax(x, rows, cols)));
      }
    }
    expect(Array.from(ops.argmax(new Float32Array([2, 5, 5, 1, 5]), 1, 5))).toEqual([1]);
    expect(Array.from(ops.argmax(new Float32Array([NaN, 1, NaN, 3, 3]), 1, 5))).toEqual([3]);
    expect(Array.from(ops.argmax(new Float32Array([-Infinity, -Infinity]), 1, 2))).toEqual([0]);
    expect(ops.argmax(new Float32Array(0), 0, 5)).toHaveLength(0);
    expect(() => ops.argmax(new Float32Array(0), 1, 0)).toThrow(RangeError);
  });

  it('topk is descending with ties broken by lower index, for many k and sizes', () => {
    for (const cols of [1, 5, 17, 64, 1001]) {
      for (const k of [1, 2, 5, 40, cols]) {
        if (k > cols) continue;
        const rows = 3;
        for (const x of [randomF32(rows * cols, cols * k), tiedLogits(rows * cols, cols + k)]) {
          const got = ops.topk(x, rows, cols, k);
          const want = refTopk(x, rows, cols, k);
          expect(Array.from(got.indices)).toEqual(Array.from(want.indices));
          expect(Array.from(got.values)).toEqual(Array.from(want.values));
        }
      }
    }
  });

  it('topk over a vocabulary-sized row and the edge cases', () => {
    const cols = 151_936, k = 50;
    const x = tiedLogits(cols, 9);
    x[100_000] = 10;
    const got = ops.topk(x, 1, cols, k);
    expect(got.indices[0]).toBe(100_000);
    expect(Array.from(got.indices)).toEqual(Array.from(refTopk(x, 1, cols, k).indices));
    const withNaN = ops.topk(new Float32Array([NaN, 1, -Infinity, 2]), 1, 4, 4);
    expect(Array.from(withNaN.indices)).toEqual([3, 1, 0, 2]);
    expect(ops.topk(new Float32Array(6), 2, 3, 0).indices).toHaveLength(0);
    expect(() => ops.topk(new Float32Array(6), 2, 3, 4)).toThrow(/k must be in \[0, 3\]/);
  });
});
