import { describe, expect, it } from 'vitest';
import { nativeOps, Tensor } from '../src/index.ts';
import { expectClose, makeWeight, randomF32, refGelu, refRmsnorm, refSoftmax, refSwiglu, type WeightDType } from './reference.ts';
import { VARIANTS } from './variants.ts';

const SIZES = [1, 7, 8, 33, 257, 1000];

describe.each(VARIANTS)('elementwise ops (%s)', (variant) => {
  const ops = nativeOps(variant);

  it('rmsnorm: weighted (F32/BF16/F16) and unweighted, odd dims, several rows', () => {
    let seed = 100;
    for (const dim of [1, 13, 64, 333]) {
      for (const rows of [1, 5]) {
        const x = randomF32(rows * dim, seed++, 3);
        const out = new Float32Array(rows * dim);
        ops.rmsnorm(out, x, null, rows, dim, 1e-6);
        expectClose(out, refRmsnorm(x, null, rows, dim, 1e-6), 1e-6, 1e-5, `unweighted dim=${dim}`);
        for (const dtype of ['F32', 'BF16', 'F16'] as WeightDType[]) {
          const { tensor, values } = makeWeight(dtype, [dim], seed++);
          ops.rmsnorm(out, x, tensor, rows, dim, 1e-5);
          expectClose(out, refRmsnorm(x, values, rows, dim, 1e-5), 1e-6, 1e-5, `${dtype} dim=${dim}`);
        }
      }
    }
  });

  it('rmsnorm works in place and handles zero rows', () => {
    const x = randomF32(3 * 21, 5);
    const expected = refRmsnorm(x, null, 3, 21, 1e-6);
    ops.rmsnorm(x, x, null, 3, 21, 1e-6);
    expectClose(x, expected, 1e-6, 1e-5, 'in place');
    ops.rmsnorm(new Float32Array(0), new Float32Array(0), null, 0, 16, 1e-6);
    expect(() => ops.rmsnorm(new Float32Array(4), new Float32Array(4), Tensor.fromF32(new Float32Array(3), [3]), 1, 4, 1e-6)).toThrow(/weight has 3 elements/);
  });

  it('softmax: rows sum to one, large logits do not overflow, masked rows become zeros', () => {
    for (const cols of SIZES) {
      const rows = 3;
      const x = randomF32(rows * cols, cols, 20);
      x[0] = 80; // exp(80) overflows f32 without max subtraction
      const expected = refSoftmax(x, rows, cols);
      ops.softmax(x, rows, cols);
      expectClose(x, expected, 1e-7, 1e-5, `cols=${cols}`);
    }
    const masked = new Float32Array([-Infinity, -Infinity, -Infinity, 0, -Infinity, 1]);
    ops.softmax(masked, 2, 3);
    expect(Array.from(masked.subarray(0, 3))).toEqual([0, 0, 0]);
    expectClose(masked.subarray(3), [1 / (1 + Math.E), 0, Math.E / (1 + Math.E)], 1e-7, 1e-6, 'partly masked');
  });

  it('swiglu with and without the clamp limit, including in place', () => {
    for (const n of SIZES) {
      const gate = randomF32(n, n + 1, 12), up = randomF32(n, n + 2, 12);
      const out = new Float32Array(n);
      ops.swiglu(out, gate, up);
      expectClose(out, refSwiglu(gate, up), 1e-6, 1e-5, `n=${n}`);
      ops.swiglu(out, gate, up, 7);
      expectClose(out, refSwiglu(gate, up, 7), 1e-6, 1e-5, `limit n=${n}`);
      const expected = refSwiglu(gate, up);
      ops.swiglu(gate, gate, up);
      expectClose(gate, expected, 1e-6, 1e-5, `in place n=${n}`);
    }
    // the clamp must not turn a NaN into the limit (16 elements: the SIMD body, not only the scalar tail)
    const nanGate = new Float32Array(16).fill(1), nanUp = new Float32Array(16).fill(1);
    nanGate[3] = NaN;
    nanUp[9] = NaN;
    const nanOut = new Float32Array(16);
    ops.swiglu(nanOut, nanGate, nanUp, 7);
    expect(Number.isNaN(nanOut[3])).toBe(true);
    expect(Number.isNaN(nanOut[9])).toBe(true);
    expect(Number.isFinite(nanOut[0])).toBe(true);
    expect(() => ops.swiglu(new Float32Array(2), new Float32Array(2), new Float32Array(2), 0)).toThrow(/limit must be > 0/);
    expect(() => ops.swiglu(new Float32Array(2), new Float32Array(3), new Float32Array(2))).toThrow(RangeError);
  });

  it('gelu exact (erf) and tanh approximation', () => {
    for (const n of SIZES) {
      const x = randomF32(n, n + 3, 6);
      const out = new Float32Array(n);
      ops.gelu(out, x);
      expectClose(out, refGelu(x, 'none'), 2e-7, 2e-6, `erf n=${n}`);
      ops.gelu(out, x, 'tanh');
      expectClose(out, refGelu(x, 'tanh'), 2e-7, 2e-6, `tanh n=${n}`);
    }
    const extremes = new Float32Array([-30, -10, -1e-3, 0, 1e-3, 10, 30]);
    const out = new Float32Array(extremes.length);
    ops.gelu(out, extremes);
    expectClose(out, refGelu(extremes, 'none'), 1e-7, 1e-6, 'extremes');
    expect(() => ops.gelu(out, extremes, 'fast' as 'tanh')).toThrow(TypeError);
  });

  it('embedding gathers rows of F32 / BF16 / F16 tables and rejects out-of-vocabulary ids', () => {
    for (const dtype of ['F32', 'BF16', 'F16'] as WeightDType[]) {
      for (const dim of [1, 9, 70]) {
        const vocab = 37;
        const { tensor, values } = makeWeight(dtype, [vocab, dim], dim * 7);
        const ids = new Int32Array([0, 36, 5, 5, 17]);
        const out = new Float32Array(ids.length * dim);
        ops.embedding(out, tensor, ids);
        const expected = Array.from(ids).flatMap((id) => Array.from(values.subarray(id * dim, (id + 1) * dim)));
        expect(Array.from(out)).toEqual(expected);
        expect(() => ops.embedding(out, tensor, new Int32Array([0, 37, 1, 1, 1]))).toThrow(/ids\[1\] = 37 is outside the vocabulary/);
        expect(() => ops.embedding(out, tensor, new Int32Array([0, -1, 1, 1, 1]))).toThrow(RangeError);
      }
    }
    ops.embedding(new Float32Array(0), Tensor.fromF32(new Float32Array(8), [2, 4]), new Int32Array(0));
  });
});
