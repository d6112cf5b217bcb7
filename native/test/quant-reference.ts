/**
 * Plain TypeScript references for the quantized kernels (float64, written from the format definitions,
 * sharing no code or tables with the kernels), plus deterministic test-data builders.
 */
import { rng } from './reference.ts';

/** E4M3 (fn) byte -> value: 1 sign, 4 exponent bits (bias 7), 3 mantissa bits; S.1111.111 is NaN. */
export function e4m3Value(b: number): number {
  const sign = b & 0x80 ? -1 : 1;
  const e = (b >> 3) & 15, m = b & 7;
  if (e === 15 && m === 7) return NaN;
  return sign * (e === 0 ? (m / 8) * 2 ** -6 : (1 + m / 8) * 2 ** (e - 7));
}

/** E8M0 byte -> 2^(b - 127); 0xFF is NaN */
export function e8m0Value(b: number): number {
  return b === 0xff ? NaN : 2 ** (b - 127);
}

/** E2M1 code -> value (bit 3 = sign) */
export function e2m1Value(code: number): number {
  const mags = [0, 0.5, 1, 1.5, 2, 3, 4, 6];
  return (code & 8 ? -1 : 1) * mags[code & 7]!;
}

/** random e4m3 bytes, no NaN codes */
export function randomE4m3(n: number, seed: number): Uint8Array<ArrayBuffer> {
  const r = rng(seed);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    let b = Math.floor(r() * 256);
    if ((b & 0x7f) === 0x7f) b ^= 0x01;
    out[i] = b;
  }
  return out;
}

export function randomBytes(n: number, seed: number, lo = 0, hi = 255): Uint8Array<ArrayBuffer> {
  const r = rng(seed);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + Math.floor(r() * (hi - lo + 1));
  return out;
}

/** W[n, k] of an FP8 block-scaled matrix; `scale(rb, kb)` returns the block scale */
export function fp8Dequant(w: Uint8Array, N: number, K: number, blockN: number, blockK: number, scale: (rb: number, kb: number) => number): Float64Array {
  const out = new Float64Array(N * K);
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) out[n * K + k] = e4m3Value(w[n * K + k]!) * scale(Math.floor(n / blockN), Math.floor(k / blockK));
  }
  return out;
}

/** Checkpoint-layout MXFP4 matrix [rows, cols]: codes [rows, cols/2] + E8M0 scales [rows, cols/32]. */
export interface CheckpointMxfp4 {
  codes: Uint8Array;
  scales: Uint8Array;
  rows: number;
  cols: number;
}

/** element (r, k) of a checkpoint matrix in the given nibble order, as a code */
export function codeAt(m: CheckpointMxfp4, r: number, k: number, order: 'interleaved' | 'split-half'): number {
  const rowBytes = m.cols / 2;
  if (order === 'interleaved') {
    const byte = m.codes[r * rowBytes + (k >> 1)]!;
    return k & 1 ? byte >> 4 : byte & 15;
  }
  const blk = k >> 5, j = k & 31;
  const byte = m.codes[r * rowBytes + blk * 16 + (j & 15)]!;
  return j < 16 ? byte & 15 : byte >> 4;
}

/** the checkpoint bytes of a matrix given its codes [rows, cols] (one code per element) in a nibble order */
export function encodeCodes(codes: Uint8Array, rows: number, cols: number, order: 'interleaved' | 'split-half'): Uint8Array {
  const out = new Uint8Array(rows * cols / 2);
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < cols; k++) {
      const c = codes[r * cols + k]! & 15;
      let byte: number, high: boolean;
      if (order === 'interleaved') {
        byte = r * cols / 2 + (k >> 1);
        high = (k & 1) === 1;
      } else {
        const blk = k >> 5, j = k & 31;
        byte = r * cols / 2 + blk * 16 + (j & 15);
        high = j >= 16;
      }
      out[byte] = high ? (out[byte]! & 0x0f) | (c << 4) : (out[byte]! & 0xf0) | c;
    }
  }
  return out;
}

export function mxfp4Dequant(m: CheckpointMxfp4, order: 'interleaved' | 'split-half'): Float64Array {
  const out = new Float64Array(m.rows * m.cols);
  for (let r = 0; r < m.rows; r++) {
    for (let k = 0; k < m.cols; k++) out[r * m.cols + k] = e2m1Value(codeAt(m, r, k, order)) * e8m0Value(m.scales[r * (m.cols / 32) + (k >> 5)]!);
  }
  return out;
}

/** out[M, N] = x[M, K] · Wᵀ (+ bias), float64, and Σ|w·x| per output (the scale for tolerances) */
export function refMatmul(x: Float32Array, w: Float64Array, M: number, N: number, K: number, bias?: Float32Array): { out: Float64Array; mag: Float64Array } {
  const out = new Float64Array(M * N), mag = new Float64Array(M * N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let s = 0, a = 0;
      for (let k = 0; k < K; k++) {
        const p = w[n * K + k]! * x[m * K + k]!;
        s += p;
        a += Math.abs(p);
      }
      out[m * N + n] = s + (bias ? bias[n]! : 0);
      mag[m * N + n] = a + (bias ? Math.abs(bias[n]!) : 0);
    }
  }
  return { out, mag };
}

/**
 * Error bound of the AVX2 MXFP4 GEMV, which rounds each activation to 15-16 significant bits per 32-block
 * (|x − x̂| ≤ amax_block · 2^-15): Σ over blocks of amax · Σ|w| · 2^-15, per output.
 */
export function int16ActivationBound(x: Float32Array, w: Float64Array, M: number, N: number, K: number): Float64Array {
  const out = new Float64Array(M * N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let b = 0;
      for (let k0 = 0; k0 < K; k0 += 32) {
        let amax = 0, wsum = 0;
        for (let k = k0; k < k0 + 32; k++) {
          amax = Math.max(amax, Math.abs(x[m * K + k]!));
          wsum += Math.abs(w[n * K + k]!);
        }
        b += amax * wsum * 2 ** -15;
      }
      out[m * N + n] = b;
    }
  }
  return out;
}

/** max over outputs of |got − want| / (rel · mag + extra + tiny); ≤ 1 passes */
export function worstRatio(got: Float32Array, want: Float64Array, mag: Float64Array, rel: number, extra?: Float64Array): number {
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const allowed = rel * mag[i]! + (extra ? 1.01 * extra[i]! : 0) + 1e-30;
    const d = Math.abs(got[i]! - want[i]!);
    worst = Math.max(worst, Number.isNaN(d) ? Infinity : d / allowed);
  }
  return worst;
}

export function randomX(n: number, seed: number, scale = 1): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (r() * 2 - 1) * scale;
  return out;
}
