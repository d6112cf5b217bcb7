/**
 * MXFP4 packing and matmul: every E2M1 code at extreme E8M0 exponents, both nibble orders, NaN scales,
 * row counts that are not multiples of the SIMD width, both kernel paths against a float64 reference.
 */
import { describe, expect, it } from 'vitest';
import { hasOptimizedKernels, mxfp4Pack, quantOps } from '../src/index.ts';
import type { KernelVariant, Mxfp4Matrix, NibbleOrder } from '../src/index.ts';
import {
  e2m1Value, encodeCodes, int16ActivationBound, mxfp4Dequant, randomBytes, randomX, refMatmul, worstRatio, type CheckpointMxfp4,
} from './quant-reference.ts';

const VARIANTS: KernelVariant[] = hasOptimizedKernels() ? ['optimized', 'portable'] : ['portable'];
const EXPONENTS = [0, 1, 126, 127, 254];

function pack(src: CheckpointMxfp4, order: NibbleOrder): Mxfp4Matrix {
  const dst = { codes: new Uint8Array(src.codes.length), scales: new Uint8Array(src.scales.length), rows: src.rows, cols: src.cols };
  expect(mxfp4Pack({ dst, srcCodes: src.codes, srcScales: src.scales, rows: src.rows, order })).toBe(-1);
  return dst;
}

function randomMatrix(rows: number, cols: number, seed: number, order: NibbleOrder): CheckpointMxfp4 {
  const codes = randomBytes(rows * cols, seed, 0, 15);
  return { codes: encodeCodes(codes, rows, cols, order), scales: randomBytes(rows * cols / 32, seed + 1, 118, 130), rows, cols };
}

describe('mxfp4Pack', () => {
  it('reports the first NaN scale (0xFF) by its index in the source scales', () => {
    const src = randomMatrix(6, 96, 1, 'interleaved');
    src.scales[4 * 3 + 2] = 0xff;
    src.scales[5 * 3 + 0] = 0xff;
    const dst = { codes: new Uint8Array(src.codes.length), scales: new Uint8Array(src.scales.length), rows: 6, cols: 96 };
    expect(mxfp4Pack({ dst, srcCodes: src.codes, srcScales: src.scales, rows: 6, order: 'interleaved' })).toBe(14);
  });

  it('places rows at dstRowStart + r · dstRowStride (how gate and up rows are interleaved)', () => {
    const gate = randomMatrix(3, 64, 2, 'interleaved'), up = randomMatrix(3, 64, 3, 'interleaved');
    const dst = { codes: new Uint8Array(6 * 32), scales: new Uint8Array(6 * 2), rows: 6, cols: 64 };
    expect(mxfp4Pack({ dst, srcCodes: gate.codes, srcScales: gate.scales, rows: 3, order: 'interleaved', dstRowStart: 0, dstRowStride: 2 })).toBe(-1);
    expect(mxfp4Pack({ dst, srcCodes: up.codes, srcScales: up.scales, rows: 3, order: 'interleaved', dstRowStart: 1, dstRowStride: 2 })).toBe(-1);
    const x = randomX(64, 4);
    const out = new Float32Array(6);
    quantOps('portable').mxfp4Matmul({ out, x, M: 1, w: dst });
    const g = refMatmul(x, mxfp4Dequant(gate, 'interleaved'), 1, 3, 64), u = refMatmul(x, mxfp4Dequant(up, 'interleaved'), 1, 3, 64);
    for (let i = 0; i < 3; i++) {
      expect(out[2 * i]).toBeCloseTo(g.out[i]!, 4);
      expect(out[2 * i + 1]).toBeCloseTo(u.out[i]!, 4);
    }
  });

  it('refuses destination rows outside the matrix and columns that are not a multiple of 32', () => {
    const src = randomMatrix(2, 64, 5, 'interleaved');
    const dst = { codes: new Uint8Array(64), scales: new Uint8Array(4), rows: 2, cols: 64 };
    expect(() => mxfp4Pack({ dst, srcCodes: src.codes, srcScales: src.scales, rows: 2, order: 'interleaved', dstRowStart: 1 })).toThrow(RangeError);
    const bad = { codes: new Uint8Array(20), scales: new Uint8Array(1), rows: 1, cols: 40 };
    expect(() => mxfp4Pack({ dst: bad, srcCodes: new Uint8Array(20), srcScales: new Uint8Array(1), rows: 1, order: 'interleaved' })).toThrow(/multiple of 32/);
  });
});

describe.each(VARIANTS)('mxfp4Matmul (%s)', (variant) => {
  it('decodes all 16 codes × exponents {0, 1, 126, 127, 254} exactly, at every place of a superblock and its tail', () => {
    // K = 320: one full superblock of 8 blocks and a partial one of 2
    const rows = 16 * EXPONENTS.length, K = 320, nb = K / 32;
    const codes = new Uint8Array(rows * K), scales = new Uint8Array(rows * nb);
    for (let c = 0; c < 16; c++) {
      EXPONENTS.forEach((e, j) => {
        const r = c * EXPONENTS.length + j;
        codes.fill(c, r * K, (r + 1) * K);
        scales.fill(e, r * nb, (r + 1) * nb);
      });
    }
    const w = pack({ codes: encodeCodes(codes, rows, K, 'interleaved'), scales, rows, cols: K }, 'interleaved');
    for (const position of [0, 1, 3, 4, 7, 8, 15, 16, 17, 31, 32, 63, 100, 255, 256, 291, 319]) {
      for (const M of [1, 3, 9]) {
        // x one-hot at `position` with value 2^-3: every product is a power of two times a code, all representable
        const x = new Float32Array(M * K);
        for (let m = 0; m < M; m++) x[m * K + position] = 0.125;
        const out = new Float32Array(M * rows);
        quantOps(variant).mxfp4Matmul({ out, x, M, w });
        for (let c = 0; c < 16; c++) {
          EXPONENTS.forEach((e, j) => {
            const r = c * EXPONENTS.length + j;
            const weight = e2m1Value(c) * 2 ** (e - 127);
            // M = 9 runs the GEMM, which dequantizes weights to f32 first: weights above FLT_MAX are out of its range
            if (M > 8 && !Number.isFinite(Math.fround(weight))) return;
            for (let m = 0; m < M; m++) expect(out[m * rows + r], `code ${c} exp ${e} pos ${position} M ${M}`).toBe(weight * 0.125 + 0);
          });
        }
      }
    }
  });

  it.each(['interleaved', 'split-half'] as const)('reads %s checkpoints after packing (same results as the reference in that order)', (order) => {
    const src = randomMatrix(19, 96, 11, order);
    const w = pack(src, order);
    const x = randomX(2 * 96, 12);
    const out = new Float32Array(2 * 19);
    quantOps(variant).mxfp4Matmul({ out, x, M: 2, w });
    const dq = mxfp4Dequant(src, order);
    const ref = refMatmul(x, dq, 2, 19, 96);
    const extra = variant === 'optimized' ? int16ActivationBound(x, dq, 2, 19, 96) : undefined;
    expect(worstRatio(out, ref.out, ref.mag, 1e-5, extra)).toBeLessThanOrEqual(1);
    // reading the other order gives different numbers: the order is really applied
    const wrong = refMatmul(x, mxfp4Dequant(src, order === 'interleaved' ? 'split-half' : 'interleaved'), 2, 19, 96);
    expect(worstRatio(out, wrong.out, wrong.mag, 1e-3)).toBeGreaterThan(1);
  });

  it.each([
    [5, 32], [37, 96], [64, 320], [13, 2048],
  ])('matches the reference for N=%i K=%i, M = 1…17 (GEMV and GEMM), with and without bias', (N, K) => {
    const src = randomMatrix(N, K, N + K, 'interleaved');
    const w = pack(src, 'interleaved');
    const dq = mxfp4Dequant(src, 'interleaved');
    for (const M of [1, 2, 3, 4, 5, 8, 9, 17]) {
      const x = randomX(M * K, M * 7 + K);
      const bias = M % 2 ? randomX(N, M) : undefined;
      const out = new Float32Array(M * N).fill(NaN);
      quantOps(variant).mxfp4Matmul({ out, x, M, w, ...(bias ? { bias } : {}) });
      const ref = refMatmul(x, dq, M, N, K, bias);
      const extra = variant === 'optimized' && M <= 8 ? int16ActivationBound(x, dq, M, N, K) : undefined;
      expect(worstRatio(out, ref.out, ref.mag, 1e-5, extra), `M=${M}`).toBeLessThanOrEqual(1);
    }
  });

  it('gives NaN for a row with a NaN (0xFF) scale, in a full superblock and in a tail', () => {
    const K = 320;
    const w = pack(randomMatrix(3, K, 23, 'interleaved'), 'interleaved');
    w.scales[0 * 10 + 5] = 0xff; // row 0, block 5 (full superblock)
    w.scales[2 * 10 + 9] = 0xff; // row 2, block 9 (tail)
    const x = randomX(K, 24);
    const out = new Float32Array(3);
    quantOps(variant).mxfp4Matmul({ out, x, M: 1, w });
    expect(Number.isNaN(out[0])).toBe(true);
    expect(Number.isFinite(out[1])).toBe(true);
    expect(Number.isNaN(out[2])).toBe(true);
  });

  it.each([
    // every code 6.0 and a constant x (1.5 · 2^k: exact in 15 bits): the largest block sums. The integer path
    // keeps x as q · 2^e and multiplies the int32 block sum by 2^(e − 1) before the scale: at e = 105 that
    // product is 1.5 · 2^127, still finite; below its range 2^(e − 1) would flush to zero, so such calls
    // (denormal activations) must take the float path.
    ['huge: the largest exponent of the integer path', 1.5 * 2 ** 119, 100],
    ['tiny (denormal): below the integer path', 1.5 * 2 ** -136, 200],
  ])('is exact for %s activations', (_name, value, scaleByte) => {
    const N = 3, K = 544;
    const src = { codes: encodeCodes(new Uint8Array(N * K).fill(7), N, K, 'interleaved'), scales: new Uint8Array(N * K / 32).fill(scaleByte), rows: N, cols: K };
    const w = pack(src, 'interleaved');
    const x = new Float32Array(K).fill(value);
    const out = new Float32Array(N);
    quantOps(variant).mxfp4Matmul({ out, x, M: 1, w });
    const want = Math.fround(K * 6 * Math.fround(value) * 2 ** (scaleByte - 127));
    for (let n = 0; n < N; n++) expect(out[n]).toBe(want);
  });

  it('stays within the float reference when block exponents are far apart', () => {
    const N = 11, K = 544;
    const src = randomMatrix(N, K, 31, 'split-half');
    const w = pack(src, 'split-half');
    const x = randomX(2 * K, 32);
    for (let i = 0; i < x.length; i += 64) x[i] = x[i]! * 2 ** 90; // a few huge blocks among normal ones
    const out = new Float32Array(2 * N);
    quantOps(variant).mxfp4Matmul({ out, x, M: 2, w });
    const dq = mxfp4Dequant(src, 'split-half');
    const ref = refMatmul(x, dq, 2, N, K);
    expect(worstRatio(out, ref.out, ref.mag, 1e-5, int16ActivationBound(x, dq, 2, N, K))).toBeLessThanOrEqual(1);
  });

  it('propagates NaN activations instead of hiding them', () => {
    const w = pack(randomMatrix(3, 64, 21, 'interleaved'), 'interleaved');
    const x = randomX(64, 22);
    x[40] = NaN;
    const out = new Float32Array(3);
    quantOps(variant).mxfp4Matmul({ out, x, M: 1, w });
    expect(Array.from(out).every(Number.isNaN)).toBe(true);
  });

  it('rejects mismatched planes', () => {
    const w = { codes: new Uint8Array(64), scales: new Uint8Array(4), rows: 2, cols: 64 };
    expect(() => quantOps(variant).mxfp4Matmul({ out: new Float32Array(2), x: new Float32Array(63), M: 1, w })).toThrow(/x has 63 elements/);
    expect(() => quantOps(variant).mxfp4Matmul({ out: new Float32Array(2), x: new Float32Array(64), M: 1, w: { ...w, scales: new Uint8Array(3) } })).toThrow(/scales have 3 bytes/);
  });
});
