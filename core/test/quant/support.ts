/** Test support for the quant and MoE layers: real registries over the native kernels, in-memory tensor stores, FP8/MXFP4 encoders. */
import { capabilities, nativeKernelRows, Tensor, type DType } from '@plexus/native';
import { mulberry32 as rng } from '../../../test/support/seeded-random.ts';
import { KernelRegistry, type KernelOpName, type KernelRow } from '../../src/kernel/registries/kernel-registry.ts';
import { QuantMethodRegistry } from '../../src/kernel/registries/quant-method-registry.ts';
import type { QuantBuildContext } from '../../src/quant/linear.ts';

// shared test support, re-exported under the names the quant/MoE tests use
export { memoryTensorStore as memoryStore } from '../../../test/support/memory-store.ts';
export { randomF32 } from '../../../test/support/seeded-random.ts';

export interface TestContext extends QuantBuildContext {
  readonly kernels: KernelRegistry;
  readonly quant: QuantMethodRegistry;
}

/** registries as the runtime builds them (native rows, portable rows last); forcePortable = PLEXUS_FORCE_PORTABLE_KERNELS */
export function testContext(opts: { forcePortable?: boolean } = {}): TestContext {
  const kernels = new KernelRegistry({ capabilities: capabilities(), forcePortable: opts.forcePortable ?? false });
  for (const r of nativeKernelRows()) {
    kernels.register(r.op as KernelOpName, { id: r.id, when: r.when, impl: r.impl as never, ...(r.id.endsWith('.portable') ? { priority: 1000 } : {}) } as KernelRow, 'native');
  }
  return { kernels, quant: new QuantMethodRegistry(), ops: kernels.bindOps() };
}

export function bytesTensor(dtype: DType, shape: number[], bytes: Uint8Array): Tensor {
  return new Tensor(dtype, shape, bytes.buffer as ArrayBuffer, bytes.byteOffset);
}

export function e4m3Value(b: number): number {
  const sign = b & 0x80 ? -1 : 1, e = (b >> 3) & 15, m = b & 7;
  if (e === 15 && m === 7) return NaN;
  return sign * (e === 0 ? (m / 8) * 2 ** -6 : (1 + m / 8) * 2 ** (e - 7));
}

export function e2m1Value(code: number): number {
  return (code & 8 ? -1 : 1) * [0, 0.5, 1, 1.5, 2, 3, 4, 6][code & 7]!;
}

/** random e4m3 bytes with magnitudes in [2^-3, 2^1] (no NaN), and their values */
export function randomFp8(n: number, seed: number): { bytes: Uint8Array; values: Float64Array } {
  const r = rng(seed);
  const bytes = new Uint8Array(n), values = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const e = 4 + Math.floor(r() * 5), m = Math.floor(r() * 8), s = r() < 0.5 ? 0x80 : 0;
    bytes[i] = s | (e << 3) | m;
    values[i] = e4m3Value(bytes[i]!);
  }
  return { bytes, values };
}

/** An FP8 block-scaled [N, K] matrix: e4m3 bytes, E8M0 scale bytes, and the exact dequantized values. */
export function fp8Matrix(N: number, K: number, block: [number, number], seed: number, scaleExp: [number, number] = [120, 124]) {
  const w = randomFp8(N * K, seed);
  const sRows = Math.ceil(N / block[0]), sCols = Math.ceil(K / block[1]);
  const r = rng(seed + 99);
  const scale = Uint8Array.from({ length: sRows * sCols }, () => scaleExp[0] + Math.floor(r() * (scaleExp[1] - scaleExp[0] + 1)));
  const dense = new Float32Array(N * K);
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) dense[n * K + k] = w.values[n * K + k]! * 2 ** (scale[Math.floor(n / block[0]) * sCols + Math.floor(k / block[1])]! - 127);
  }
  return { weight: w.bytes, scale, scaleShape: [sRows, sCols], dense };
}

/** An MXFP4 [rows, cols] matrix in checkpoint layout (even element in the low nibble) and its exact values. */
export function mxfp4Matrix(rows: number, cols: number, seed: number, scaleExp: [number, number] = [121, 124]) {
  const r = rng(seed);
  const codes = new Uint8Array(rows * cols / 2), scales = new Uint8Array(rows * cols / 32), dense = new Float32Array(rows * cols);
  for (let i = 0; i < scales.length; i++) scales[i] = scaleExp[0] + Math.floor(r() * (scaleExp[1] - scaleExp[0] + 1));
  for (let row = 0; row < rows; row++) {
    for (let k = 0; k < cols; k++) {
      const c = Math.floor(r() * 16);
      const byte = row * cols / 2 + (k >> 1);
      codes[byte] = k & 1 ? codes[byte]! | (c << 4) : codes[byte]! | c;
      dense[row * cols + k] = e2m1Value(c) * 2 ** (scales[row * cols / 32 + (k >> 5)]! - 127);
    }
  }
  return { codes, scales, dense };
}

export function bf16Bytes(values: Float32Array): Uint8Array {
  // truncation: the tests then compare against the truncated values
  const u = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = u[i]! >>> 16;
  return new Uint8Array(out.buffer);
}

export function bf16Values(values: Float32Array): Float32Array {
  const out = new Float32Array(values.length);
  const u = new Uint32Array(values.buffer, values.byteOffset, values.length), o = new Uint32Array(out.buffer);
  for (let i = 0; i < values.length; i++) o[i] = u[i]! & 0xffff0000;
  return out;
}

/** out[M, N] = x · Wᵀ (+ b) in float64 */
export function refLinear(x: Float32Array, w: ArrayLike<number>, M: number, N: number, K: number, bias?: ArrayLike<number>): Float64Array {
  const out = new Float64Array(M * N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let s = bias ? bias[n]! : 0;
      for (let k = 0; k < K; k++) s += w[n * K + k]! * x[m * K + k]!;
      out[m * N + n] = s;
    }
  }
  return out;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}
