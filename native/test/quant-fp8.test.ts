/** FP8 (E4M3, block scales) matmul: both kernel paths against a float64 dequantize-then-matmul reference. */
import { describe, expect, it } from 'vitest';
import { fp8FirstNaN, hasOptimizedKernels, quantOps, Tensor } from '../src/index.ts';
import type { KernelVariant } from '../src/index.ts';
import { e4m3Value, e8m0Value, fp8Dequant, randomBytes, randomE4m3, randomX, refMatmul, worstRatio } from './quant-reference.ts';

const VARIANTS: KernelVariant[] = hasOptimizedKernels() ? ['optimized', 'portable'] : ['portable'];

type ScaleDtype = 'F8_E8M0' | 'F32' | 'BF16';

function scaleTensor(dtype: ScaleDtype, rows: number, cols: number, seed: number): { tensor: Tensor; value: (rb: number, kb: number) => number } {
  if (dtype === 'F8_E8M0') {
    const b = randomBytes(rows * cols, seed, 115, 130);
    return { tensor: new Tensor('F8_E8M0', [rows, cols], b.buffer), value: (rb, kb) => e8m0Value(b[rb * cols + kb]!) };
  }
  const f = randomX(rows * cols, seed, 0.01).map((v) => Math.abs(v) + 1e-3);
  if (dtype === 'F32') return { tensor: Tensor.fromF32(f, [rows, cols]), value: (rb, kb) => f[rb * cols + kb]! };
  // BF16: truncate the f32 bits (exactly representable then)
  const u = new Uint16Array(rows * cols);
  const bits = new Uint32Array(f.buffer);
  for (let i = 0; i < u.length; i++) u[i] = bits[i]! >>> 16;
  const vals = new Float32Array(new Uint32Array(Array.from(u, (h) => h << 16)).buffer);
  return { tensor: new Tensor('BF16', [rows, cols], u.buffer), value: (rb, kb) => vals[rb * cols + kb]! };
}

function check(variant: KernelVariant, N: number, K: number, M: number, blockN: number, blockK: number, dtype: ScaleDtype, withBias: boolean, seed: number): number {
  const wBytes = randomE4m3(N * K, seed);
  const sRows = Math.ceil(N / blockN), sCols = Math.ceil(K / blockK);
  const scale = scaleTensor(dtype, sRows, sCols, seed + 1);
  const x = randomX(M * K, seed + 2);
  const bias = withBias ? randomX(N, seed + 3) : undefined;
  const out = new Float32Array(M * N).fill(NaN);
  quantOps(variant).fp8Matmul({ out, x, M, w: new Tensor('F8_E4M3', [N, K], wBytes.buffer), scale: scale.tensor, blockN, blockK, ...(bias ? { bias } : {}) });
  const ref = refMatmul(x, fp8Dequant(wBytes, N, K, blockN, blockK, scale.value), M, N, K, bias);
  return worstRatio(out, ref.out, ref.mag, 1e-5);
}

describe.each(VARIANTS)('fp8Matmul (%s)', (variant) => {
  it.each([16, 32])('decodes every non-NaN E4M3 code exactly (block width %i), GEMV and GEMM paths', (blockK) => {
    // width 16 runs the vcvtph2ps decode, multiples of 32 the exponent-field decode
    const codes = Array.from({ length: 256 }, (_, b) => b).filter((b) => (b & 0x7f) !== 0x7f);
    const N = codes.length, K = blockK;
    const w = new Uint8Array(N * K);
    codes.forEach((c, n) => { w[n * K + (n % K)] = c; });
    const scale = new Tensor('F8_E8M0', [N, 1], new Uint8Array(N).fill(127).buffer);
    for (const M of [1, 9]) {
      // x = all ones: row n's output is the value of its one non-zero code
      const x = new Float32Array(M * K).fill(1);
      const out = new Float32Array(M * N);
      quantOps(variant).fp8Matmul({ out, x, M, w: new Tensor('F8_E4M3', [N, K], w.buffer), scale, blockN: 1, blockK });
      for (let m = 0; m < M; m++) codes.forEach((c, n) => expect(out[m * N + n]).toBe(e4m3Value(c) + 0)); // +0: a sum of -0 and +0 terms is +0
    }
  });

  it.each([
    // N, K, blockN, blockK: dims that are not multiples of 128 (partial edge blocks), of 16, of the 6×16 tile
    [37, 300, 128, 128],
    [130, 257, 128, 128],
    [64, 128, 128, 128],
    [29, 100, 16, 48],
    [21, 75, 7, 20],
  ])('matches the reference for N=%i K=%i block [%i, %i]', (N, K, blockN, blockK) => {
    for (const M of [1, 2, 3, 4, 5, 8, 13]) {
      for (const dtype of ['F8_E8M0', 'F32', 'BF16'] as const) {
        expect(check(variant, N, K, M, blockN, blockK, dtype, M % 2 === 1, N * 1000 + K + M)).toBeLessThanOrEqual(1);
      }
    }
  });

  it('applies E8M0 scales across the exponent range without overflow or early flush', () => {
    // exponents whose outputs stay normal floats for activations that are normal floats
    const exps = [1, 2, 60, 127, 180, 200];
    const N = exps.length, K = 256;
    const w = randomE4m3(N * K, 7);
    const sc = new Uint8Array(N * 2);
    exps.forEach((e, n) => { sc[n * 2] = e; sc[n * 2 + 1] = e; });
    const xr = randomX(K, 8);
    for (const M of [1, 6]) {
      exps.forEach((e, n) => {
        // x · 2^(127 − e − 20) keeps row n's result of order 2^-20 · Σ|w x|
        const x = new Float32Array(M * K);
        for (let m = 0; m < M; m++) for (let k = 0; k < K; k++) x[m * K + k] = xr[k]! * 2 ** (127 - e - 20);
        const out = new Float32Array(M * N);
        quantOps(variant).fp8Matmul({ out, x, M, w: new Tensor('F8_E4M3', [N, K], w.buffer), scale: new Tensor('F8_E8M0', [N, 2], sc.buffer), blockN: 1, blockK: 128 });
        let want = 0, mag = 0;
        for (let k = 0; k < K; k++) {
          const p = e4m3Value(w[n * K + k]!) * 2 ** (e - 127) * x[k]!;
          want += p;
          mag += Math.abs(p);
        }
        for (let m = 0; m < M; m++) expect(Math.abs(out[m * N + n]! - want)).toBeLessThanOrEqual(1e-5 * mag);
      });
    }
  });

  it('rejects inconsistent shapes with RangeError / TypeError', () => {
    const ops = quantOps(variant);
    const w = new Tensor('F8_E4M3', [4, 256], new Uint8Array(1024).buffer);
    const scale = new Tensor('F8_E8M0', [1, 2], new Uint8Array(2).buffer);
    expect(() => ops.fp8Matmul({ out: new Float32Array(4), x: new Float32Array(256), M: 1, w, scale, blockN: 128, blockK: 64 })).toThrow(RangeError);
    expect(() => ops.fp8Matmul({ out: new Float32Array(3), x: new Float32Array(256), M: 1, w, scale, blockN: 128, blockK: 128 })).toThrow(/out has 3 elements/);
    expect(() => ops.fp8Matmul({ out: new Float32Array(4), x: new Float32Array(256), M: 1, w, scale: new Tensor('I32', [1, 2], new Int32Array(2).buffer), blockN: 128, blockK: 128 })).toThrow(TypeError);
    expect(() => ops.fp8Matmul({ out: new Float32Array(4), x: new Float32Array(256), M: 1, w, scale, blockN: 0, blockK: 128 })).toThrow(RangeError);
  });
});

describe('fp8FirstNaN', () => {
  it('finds the first E4M3 NaN (0x7F or 0xFF) anywhere, or -1', () => {
    const n = (1 << 21) + 13; // more than one parallel chunk, odd tail
    const b = randomE4m3(n, 3);
    expect(fp8FirstNaN(b)).toBe(-1);
    for (const at of [0, 5, 8, 4095, (1 << 20) + 3, n - 1]) {
      const c = b.slice();
      c[at] = at % 2 ? 0xff : 0x7f;
      c[n - 1] = 0x7f;
      expect(fp8FirstNaN(c)).toBe(at);
    }
    expect(fp8FirstNaN(new Uint8Array(0))).toBe(-1);
  });
});
