import { describe, expect, it } from 'vitest';
import { nativeOps, Tensor } from '../src/index.ts';
import { expectClose, makeWeight, randomF32, refMatmul, type WeightDType } from './reference.ts';
import { VARIANTS } from './variants.ts';

const DTYPES: WeightDType[] = ['F32', 'BF16', 'F16'];

// M covers every optimized decode kernel and the GEMM: M = 1..2 on short rows (row streaming, 8-row
// reductions plus a remainder), M = 1..8 (3-row tiles with 1-2 leftover rows, activation groups of 1-4,
// several 256-wide K blocks; long rows at M = 1..2), M = 9..16 (6-row micro tiles in 12-row blocks,
// leftover rows, a short last K block) and M > 16 (GEMM).
// N and K are deliberately not multiples of 8/16/32: K < 16 and K % 16 != 0 leave tails for the scalar
// path; some N are large enough to be split over the thread pool.
const SHAPES: Array<[number, number, number]> = [
  [1, 37, 53], [2, 19, 67], [3, 33, 29], [4, 47, 101], [5, 17, 33], [7, 61, 300], [13, 35, 71], [64, 64, 64],
  [29, 50, 533], [1, 1, 1], [6, 16, 8], [16, 21, 700], [1, 9, 4133], [3, 11, 1500], [9, 20, 530], [17, 18, 300], [8, 13, 1100],
  [1, 333, 896], [2, 8, 15], [8, 40, 520], [6, 100, 272], [10, 25, 16], [12, 13, 15], [16, 97, 1040], [11, 7, 1025], [15, 31, 272],
  [2, 10, 2100], [4, 30, 2063],
];

describe.each(VARIANTS)('matmul (%s)', (variant) => {
  const ops = nativeOps(variant);

  for (const dtype of DTYPES) {
    it(`${dtype}: matches the reference over decode and prefill shapes`, () => {
      let seed = 1;
      for (const [M, N, K] of SHAPES) {
        const { tensor, values } = makeWeight(dtype, [N, K], seed++);
        const x = randomF32(M * K, seed++);
        const out = new Float32Array(M * N).fill(NaN);
        ops.matmul({ out, x, w: tensor, M });
        expectClose(out, refMatmul(x, values, M, N, K), 1e-5, 1e-4, `${dtype} M=${M} N=${N} K=${K}`);
      }
    });
  }

  it('adds the bias to every row (GEMV and GEMM paths)', () => {
    for (const M of [1, 3, 9]) {
      const N = 23, K = 41;
      const { tensor, values } = makeWeight('BF16', [N, K], 7 + M);
      const x = randomF32(M * K, 8 + M);
      const bias = randomF32(N, 9 + M, 3);
      const out = new Float32Array(M * N);
      ops.matmul({ out, x, w: tensor, M, bias });
      expectClose(out, refMatmul(x, values, M, N, K, bias), 1e-5, 1e-4, `bias M=${M}`);
    }
  });

  it('handles empty shapes: M = 0, N = 0, and K = 0 (out = bias)', () => {
    const w0 = Tensor.fromF32(new Float32Array(0), [0, 5]);
    ops.matmul({ out: new Float32Array(0), x: new Float32Array(15), w: w0, M: 3 });
    const w = Tensor.fromF32(new Float32Array(20), [4, 5]);
    ops.matmul({ out: new Float32Array(0), x: new Float32Array(0), w, M: 0 });
    for (const M of [1, 7]) {
      const wk = Tensor.fromF32(new Float32Array(0), [4, 0]);
      const out = new Float32Array(M * 4).fill(NaN);
      ops.matmul({ out, x: new Float32Array(0), w: wk, M, bias: new Float32Array([1, 2, 3, 4]) });
      expect(Array.from(out)).toEqual(Array.from({ length: M }, () => [1, 2, 3, 4]).flat());
    }
  });

  it('matmulAsync gives the same result as matmul and leaves the JS thread free', async () => {
    const M = 9, N = 300, K = 257;
    const { tensor } = makeWeight('F16', [N, K], 42);
    const x = randomF32(M * K, 43);
    const a = new Float32Array(M * N), b = new Float32Array(M * N);
    ops.matmul({ out: a, x, w: tensor, M });
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    await Promise.all([ops.matmulAsync({ out: b, x, w: tensor, M }), new Promise((r) => setTimeout(r, 5))]);
    clearInterval(timer);
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(ticks).toBeGreaterThan(0);
  });

  it('rejects bad arguments with clear errors', async () => {
    const w = Tensor.fromF32(new Float32Array(6), [2, 3]);
    const ok = { out: new Float32Array(2), x: new Float32Array(3), w, M: 1 };
    expect(() => ops.matmul({ ...ok, x: new Float32Array(4) })).toThrow(/x has 4 elements, expected M\*K/);
    expect(() => ops.matmul({ ...ok, out: new Float32Array(3) })).toThrow(RangeError);
    expect(() => ops.matmul({ ...ok, M: -1 })).toThrow(RangeError);
    expect(() => ops.matmul({ ...ok, M: 1.5 })).toThrow(/integer/);
    expect(() => ops.matmul({ ...ok, x: new Float64Array(3) as unknown as Float32Array })).toThrow(TypeError);
    expect(() => ops.matmul({ ...ok, bias: new Float32Array(3) })).toThrow(/bias has 3 elements/);
    expect(() => ops.matmul({ ...ok, w: new Tensor('I8', [2, 3], new ArrayBuffer(6)) })).toThrow(/dtype I8/);
    expect(() => ops.matmul({ ...ok, w: new Tensor('BF16', [2, 3], new ArrayBuffer(13), 1) })).toThrow(/even byte offset/);
    expect(() => ops.matmul({ ...ok, w: new Tensor('F32', [3, 2], new ArrayBuffer(24), 0, [1, 3]) })).toThrow(/contiguous/);
    const shared = new Float32Array(8);
    expect(() => ops.matmul({ out: shared.subarray(0, 2), x: shared.subarray(1, 4), w, M: 1 })).toThrow(/overlap/);
    // a Tensor that lies about its buffer size is caught by the addon, not read out of bounds
    const liar = Object.create(Tensor.prototype, {
      dtype: { value: 'F32' }, shape: { value: [1000, 3] }, strides: { value: [3, 1] }, buffer: { value: new ArrayBuffer(24) },
      byteOffset: { value: 0 }, isContiguous: { value: true },
    }) as Tensor;
    expect(() => ops.matmul({ out: new Float32Array(1000), x: new Float32Array(3), w: liar, M: 1 })).toThrow(/needs 12000 bytes, its buffer has 24/);
    await expect(ops.matmulAsync({ ...ok, x: new Float32Array(4) })).rejects.toThrow(RangeError);
  });
});
