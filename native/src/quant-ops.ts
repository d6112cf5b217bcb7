/**
 * Quantized-weight kernels: FP8 (E4M3) block-scaled matmul and MXFP4 (E2M1 × E8M0 per 32) matmul / MoE
 * experts. Like NativeOps, every op exists as an optimized (AVX2/FMA/F16C) and a portable implementation;
 * the core's KernelRegistry picks one. Kernels read the quantized bytes in place: nothing is dequantized
 * into a second copy of the weights.
 *
 * MXFP4 internal layout (what `mxfp4Pack` produces and the kernels read): a matrix [rows, cols] is two
 * planes, `codes` [rows, cols/2] and `scales` [rows, cols/32] (E8M0 bytes, block order). The codes of a row
 * are arranged in superblocks of 8 blocks so that one 32-byte load gives each of 8 blocks 8 codes in its
 * own 32-bit lane (native/csrc/ops/mxfp4_layout.h has the exact map). Only `mxfp4Pack` writes it.
 */
import { loadBinding, NativeAddonLoadError, REBUILD_HINT } from './binding.ts';
import type { Capabilities } from './capabilities.ts';
import type { KernelVariant } from './native-ops.ts';
import type { Tensor } from './tensor.ts';

export type Fp8ScaleDType = 'F8_E8M0' | 'F32' | 'BF16';

export interface Fp8MatmulArgs {
  /** out[M, N] = x[M, K] · Wᵀ (+ bias) with W[n, k] = e4m3(w[n, k]) · scale[⌊n / blockN⌋, ⌊k / blockK⌋] */
  out: Float32Array;
  x: Float32Array;
  M: number;
  /** F8_E4M3 [N, K] */
  w: Tensor;
  /** F8_E8M0 | F32 | BF16 [⌈N / blockN⌉, ⌈K / blockK⌉] */
  scale: Tensor;
  blockN: number;
  blockK: number;
  bias?: Float32Array;
}

/** An MXFP4 matrix [rows, cols] in the internal layout (see the file comment). */
export interface Mxfp4Matrix {
  codes: Uint8Array;
  scales: Uint8Array;
  rows: number;
  cols: number;
}

export interface Mxfp4MatmulArgs {
  /** out[M, N] = x[M, K] · Wᵀ (+ bias), W an MXFP4 matrix [N, K] */
  out: Float32Array;
  x: Float32Array;
  M: number;
  w: Mxfp4Matrix;
  bias?: Float32Array;
}

/** h = min(g, limit) · σ(alpha · min(g, limit)) · (clamp(u, ±limit) + upOffset); no limit = no clamp. */
export interface SwigluActivation {
  limit?: number;
  /** 1 = SiLU (default); gpt-oss uses 1.702 */
  alpha?: number;
  /** 0 (default); gpt-oss uses 1 */
  upOffset?: number;
}

/**
 * Routed experts of one MoE layer over one step, tokens grouped by expert.
 * Expert e's gate/up matrix is rows [e·2I, (e+1)·2I) of `gateUp` ([E·2I, H]) with gate row i at 2i and up
 * row i at 2i + 1; its down matrix is rows [e·H, (e+1)·H) of `down` ([E·H, I]).
 * Slots [expertStart[a], expertStart[a+1]) belong to expert experts[a]; slot s is token slotToken[s] with
 * routing weight slotWeight[s]. out[t] = Σ over t's slots (in slot order) of weight · down(act(gateUp · x[t])).
 * Tokens without a slot get 0.
 */
export interface Mxfp4MoeArgs {
  out: Float32Array;
  x: Float32Array;
  numTokens: number;
  hidden: number;
  intermediate: number;
  numExperts: number;
  gateUp: Mxfp4Matrix;
  down: Mxfp4Matrix;
  /** [E·2I] in the interleaved gate/up row order */
  gateUpBias?: Float32Array;
  /** [E·H] */
  downBias?: Float32Array;
  experts: Int32Array;
  expertStart: Int32Array;
  slotToken: Int32Array;
  slotWeight: Float32Array;
  activation?: SwigluActivation;
}

export interface QuantOps {
  fp8Matmul(a: Fp8MatmulArgs): void;
  mxfp4Matmul(a: Mxfp4MatmulArgs): void;
  mxfp4Moe(a: Mxfp4MoeArgs): void;
}

export type QuantOpName = keyof QuantOps;

/** Source nibble order of packed E2M1 codes: 'interleaved' = byte j holds elements 2j (low) and 2j+1 (high)
 * (gpt-oss, DeepSeek-V4); 'split-half' = byte j holds elements j and j+16 of its 32-block (ggml). */
export type NibbleOrder = 'interleaved' | 'split-half';

export interface Mxfp4PackArgs {
  /** destination planes of a matrix with `dstRows` rows of `cols` elements */
  dst: Mxfp4Matrix;
  /** source codes [rows, cols/2] and E8M0 scales [rows, cols/32], rows contiguous */
  srcCodes: Uint8Array;
  srcScales: Uint8Array;
  rows: number;
  order: NibbleOrder;
  /** source row r goes to destination row dstRowStart + r · dstRowStride (default 0 and 1) */
  dstRowStart?: number;
  dstRowStride?: number;
}

const QUANT_OPS: readonly QuantOpName[] = ['fp8Matmul', 'mxfp4Matmul', 'mxfp4Moe'];
const HELPERS = ['mxfp4Pack', 'fp8FirstNaN'];

type Raw = (...args: unknown[]) => unknown;

function quantBinding(): Record<string, Raw> {
  const b = loadBinding() as unknown as Record<string, Raw>;
  const missing = [...QUANT_OPS.flatMap((op) => [`${op}_avx2`, `${op}_portable`]), ...HELPERS].filter((n) => typeof b[n] !== 'function');
  if (missing.length > 0) {
    throw new NativeAddonLoadError(`@plexus/native: the compiled addon has no quantized kernels (missing ${missing.join(', ')}). ${REBUILD_HINT}`);
  }
  return b;
}

function bytesOf(op: string, name: string, t: Tensor, rank: number): Uint8Array {
  if (t === null || typeof t !== 'object' || !(t.buffer instanceof ArrayBuffer)) throw new TypeError(`${op}: ${name} must be a Tensor`);
  if (t.shape.length !== rank) throw new RangeError(`${op}: ${name} must have rank ${rank}, got shape [${t.shape.join(', ')}]`);
  if (!t.isContiguous) throw new RangeError(`${op}: ${name} must be contiguous (strides [${t.strides.join(', ')}])`);
  return new Uint8Array(t.buffer, t.byteOffset, t.byteLength);
}

function matrixArgs(op: string, name: string, m: Mxfp4Matrix): unknown[] {
  if (m === null || typeof m !== 'object') throw new TypeError(`${op}: ${name} must be an Mxfp4Matrix {codes, scales, rows, cols}`);
  return [m.codes, m.scales, m.rows, m.cols];
}

const cache = new Map<KernelVariant, QuantOps>();

/** The quantized ops of one implementation. Throws NativeAddonLoadError when the addon predates them. */
export function quantOps(variant: KernelVariant): QuantOps {
  if (variant !== 'optimized' && variant !== 'portable') throw new TypeError(`quantOps: variant must be 'optimized' or 'portable', got ${String(variant)}`);
  const hit = cache.get(variant);
  if (hit) return hit;
  const b = quantBinding();
  const suffix = variant === 'optimized' ? '_avx2' : '_portable';
  const fp8 = b[`fp8Matmul${suffix}`]!, mx = b[`mxfp4Matmul${suffix}`]!, moe = b[`mxfp4Moe${suffix}`]!;
  const ops: QuantOps = {
    fp8Matmul(a) {
      const w = bytesOf('fp8Matmul', 'w', a.w, 2);
      const s = bytesOf('fp8Matmul', 'scale', a.scale, 2);
      if (a.w.dtype !== 'F8_E4M3') throw new TypeError(`fp8Matmul: w must be F8_E4M3, got ${a.w.dtype}`);
      fp8(a.out, a.x, a.M, w, a.w.shape[0], a.w.shape[1], s, a.scale.dtype, a.scale.shape[0], a.scale.shape[1], a.blockN, a.blockK, a.bias);
    },
    mxfp4Matmul(a) {
      mx(a.out, a.x, a.M, ...matrixArgs('mxfp4Matmul', 'w', a.w), a.bias);
    },
    mxfp4Moe(a) {
      const act = a.activation ?? {};
      moe({
        out: a.out, x: a.x, numTokens: a.numTokens, hidden: a.hidden, intermediate: a.intermediate, numExperts: a.numExperts,
        gateUpCodes: a.gateUp?.codes, gateUpScales: a.gateUp?.scales, downCodes: a.down?.codes, downScales: a.down?.scales,
        gateUpBias: a.gateUpBias, downBias: a.downBias,
        experts: a.experts, expertStart: a.expertStart, slotToken: a.slotToken, slotWeight: a.slotWeight,
        limit: act.limit, alpha: act.alpha ?? 1, upOffset: act.upOffset ?? 0,
      });
    },
  };
  cache.set(variant, ops);
  return ops;
}

/**
 * Converts checkpoint MXFP4 planes into the internal layout (the one load-time copy, the same size as the
 * packed source). Returns the index (in `srcScales`) of the first NaN scale (0xFF), or -1; on a NaN the
 * destination is left partially written and must be discarded.
 */
export function mxfp4Pack(a: Mxfp4PackArgs): number {
  if (a.order !== 'interleaved' && a.order !== 'split-half') throw new TypeError(`mxfp4Pack: order must be 'interleaved' or 'split-half', got ${String(a.order)}`);
  return quantBinding()['mxfp4Pack']!(...matrixArgs('mxfp4Pack', 'dst', a.dst), a.srcCodes, a.srcScales, a.rows,
    a.order === 'interleaved', a.dstRowStart ?? 0, a.dstRowStride ?? 1) as number;
}

/** Index of the first E4M3 NaN byte (0x7F or 0xFF) in `bytes`, or -1 (parallel scan; used at load). */
export function fp8FirstNaN(bytes: Uint8Array): number {
  return quantBinding()['fp8FirstNaN']!(bytes) as number;
}

export interface QuantKernelRow<Op extends QuantOpName = QuantOpName> {
  op: Op;
  id: string;
  when(caps: Partial<Capabilities>, shape?: unknown): boolean;
  impl: QuantOps[Op];
  /** portable rows sort after the optimized ones */
  priority?: number;
}

/**
 * KernelRegistry rows '<op>.avx2' and '<op>.portable' for the given ops. The impls bind to the addon on
 * first call, so registering rows never loads the addon (a stale build fails the call, with the rebuild hint).
 */
export function quantKernelRows<Op extends QuantOpName>(ops: readonly Op[]): Array<QuantKernelRow<Op>> {
  const rows: Array<QuantKernelRow<Op>> = [];
  for (const op of ops) {
    if (!QUANT_OPS.includes(op)) throw new TypeError(`quantKernelRows: unknown op '${String(op)}' (known: ${QUANT_OPS.join(', ')})`);
    const lazy = (variant: KernelVariant) => ((a: never) => (quantOps(variant)[op] as (a: never) => void)(a)) as unknown as QuantOps[Op];
    rows.push({ op, id: `${op}.avx2`, when: (caps) => Boolean(caps.avx2 && caps.fma && caps.f16c), impl: lazy('optimized') });
    rows.push({ op, id: `${op}.portable`, when: () => true, impl: lazy('portable'), priority: 1000 });
  }
  return rows;
}
