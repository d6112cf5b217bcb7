/**
 * DeepSeek-V4 kernels (the dsv4 plugin's ops): sparse attention with per-head sinks over explicit key lists,
 * lightning-indexer scores and the KV compressor's pooling. Like NativeOps, each exists as an optimized
 * (AVX2/FMA/F16C) and a portable implementation with the semantics of the plugin's TypeScript rows;
 * the plugin turns them into KernelRegistry rows. Arrays may be longer than their declared shapes; the
 * addon checks every length, key range and index and throws RangeError / TypeError.
 */
import { loadBinding, NativeAddonLoadError, REBUILD_HINT } from './binding.ts';
import type { KernelVariant } from './native-ops.ts';

export interface Dsv4SparseAttentionArgs {
  /** [numQueries, numHeads, headDim] */
  q: Float32Array;
  /** [numQueries, numHeads, headDim] */
  out: Float32Array;
  numQueries: number;
  numHeads: number;
  headDim: number;
  /** K = V rows [numKeys, headDim] (one shared head) */
  keys: Float32Array;
  /** query i attends keys keyIndex[keyStart[i] .. keyStart[i+1]) (rows of `keys`) */
  keyIndex: Int32Array;
  keyStart: Int32Array;
  /** per-head sink logit: in the softmax denominator only */
  sinks: Float32Array;
  scale: number;
}

export interface Dsv4IndexerScoresArgs {
  /** [numQueries, numHeads, headDim] */
  q: Float32Array;
  /** [numQueries, numHeads] */
  weights: Float32Array;
  /** [numKeys, headDim] */
  keys: Float32Array;
  /** query i sees keys [0, visible[i]) (clamped to [0, numKeys]) */
  visible: Int32Array;
  /** [numQueries, numKeys]: Σ_h weights·ReLU(q_h · k) for visible keys, -Infinity beyond */
  out: Float32Array;
  numQueries: number;
  numHeads: number;
  headDim: number;
  numKeys: number;
}

export interface Dsv4CompressWindowsArgs {
  /** [numWindows, dim] */
  out: Float32Array;
  /** candidate rows [numWindows, numCandidates, dim]; a candidate with score -Infinity has weight 0 */
  kv: Float32Array;
  score: Float32Array;
  numWindows: number;
  numCandidates: number;
  dim: number;
}

export interface Dsv4Ops {
  dsv4SparseAttention(a: Dsv4SparseAttentionArgs): void;
  dsv4IndexerScores(a: Dsv4IndexerScoresArgs): void;
  dsv4CompressWindows(a: Dsv4CompressWindowsArgs): void;
}

export type Dsv4OpName = keyof Dsv4Ops;

export const DSV4_OP_NAMES: readonly Dsv4OpName[] = ['dsv4SparseAttention', 'dsv4IndexerScores', 'dsv4CompressWindows'];

type Raw = (...args: unknown[]) => unknown;

function symbols(): string[] {
  return DSV4_OP_NAMES.flatMap((op) => [`${op}_avx2`, `${op}_portable`]);
}

/** True when the addon loads and has the DeepSeek-V4 kernels (false for a missing, broken or stale build). */
export function hasDsv4Kernels(): boolean {
  try {
    const b = loadBinding() as unknown as Record<string, unknown>;
    return symbols().every((n) => typeof b[n] === 'function');
  } catch {
    return false;
  }
}

function args(op: string, a: unknown): Record<string, unknown> {
  if (a === null || typeof a !== 'object') throw new TypeError(`${op}: expects one object of arguments`);
  return a as Record<string, unknown>;
}

const cache = new Map<KernelVariant, Dsv4Ops>();

/** The DeepSeek-V4 ops of one implementation. Throws NativeAddonLoadError when the addon predates them. */
export function dsv4Ops(variant: KernelVariant): Dsv4Ops {
  if (variant !== 'optimized' && variant !== 'portable') throw new TypeError(`dsv4Ops: variant must be 'optimized' or 'portable', got ${String(variant)}`);
  const hit = cache.get(variant);
  if (hit) return hit;
  const b = loadBinding() as unknown as Record<string, Raw>;
  const missing = symbols().filter((n) => typeof b[n] !== 'function');
  if (missing.length > 0) {
    throw new NativeAddonLoadError(`@plexus/native: the compiled addon has no DeepSeek-V4 kernels (missing ${missing.join(', ')}). ${REBUILD_HINT}`);
  }
  const suffix = variant === 'optimized' ? '_avx2' : '_portable';
  const attention = b[`dsv4SparseAttention${suffix}`]!, indexer = b[`dsv4IndexerScores${suffix}`]!, compress = b[`dsv4CompressWindows${suffix}`]!;
  const ops: Dsv4Ops = {
    dsv4SparseAttention(a) {
      const o = args('dsv4SparseAttention', a);
      attention(o.q, o.out, o.numQueries, o.numHeads, o.headDim, o.keys, o.keyIndex, o.keyStart, o.sinks, o.scale);
    },
    dsv4IndexerScores(a) {
      const o = args('dsv4IndexerScores', a);
      indexer(o.q, o.weights, o.keys, o.visible, o.out, o.numQueries, o.numHeads, o.headDim, o.numKeys);
    },
    dsv4CompressWindows(a) {
      const o = args('dsv4CompressWindows', a);
      compress(o.out, o.kv, o.score, o.numWindows, o.numCandidates, o.dim);
    },
  };
  cache.set(variant, ops);
  return ops;
}
