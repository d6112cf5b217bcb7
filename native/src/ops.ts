/**
 * The op contract between model code and kernels. Every op has (at least) an optimized and a portable
 * implementation; which one runs is decided by the core's KernelRegistry from CPU capabilities.
 *
 * Conventions:
 *  - activations are row-major Float32Array; weights are Tensors in HF Linear layout [out, in];
 *  - synchronous calls run on the addon's own thread pool and block the calling JS thread (the engine
 *    runs in a worker thread, so that is the right thing there); `*Async` variants return promises and
 *    leave the calling thread free (for the HTTP thread or long one-off work);
 *  - shapes are validated in the binding: a wrong length throws a RangeError, never reads out of bounds.
 */
import type { Tensor } from './tensor.ts';

export type RopeLayout = 'neox' | 'interleaved';

export interface MatmulArgs {
  /** out[M, N] = x[M, K] · wᵀ, w: [N, K] in F32 | BF16 | F16 */
  out: Float32Array;
  x: Float32Array;
  w: Tensor;
  M: number;
  /** optional bias [N] added to every row */
  bias?: Float32Array;
}

export interface RopeArgs {
  /** x: [nTokens, nHeads, headDim], rotated in place on dims [rotaryOffset, rotaryOffset + rotaryDim) */
  x: Float32Array;
  positions: Int32Array; // [nTokens]
  nHeads: number;
  headDim: number;
  rotaryDim: number;
  rotaryOffset?: number; // default 0 (DSV4 rotates the tail of the head: offset = headDim - rotaryDim)
  /** inverse frequencies [rotaryDim / 2], already scaled (default/linear/llama3/YaRN computed in TS) */
  invFreq: Float32Array;
  /** multiplier on cos/sin (YaRN attention factor); default 1 */
  mscale?: number;
  layout: RopeLayout;
  /** rotate by -angle (DSV4 de-rotates the attention output) */
  inverse?: boolean;
}

/** Paged KV cache: kCache/vCache are [numBlocks, blockSize, nKvHeads, headDim(V)] F32. */
export interface PagedKv {
  kCache: Float32Array;
  vCache: Float32Array;
  blockSize: number;
  nKvHeads: number;
  headDim: number;
  headDimV: number;
}

export interface StoreKvArgs extends PagedKv {
  k: Float32Array; // [nTokens, nKvHeads, headDim]
  v: Float32Array; // [nTokens, nKvHeads, headDimV]
  slotMapping: Int32Array; // [nTokens], slot = block * blockSize + offset; -1 = skip
}

export interface AttentionArgs extends PagedKv {
  q: Float32Array;   // [nTokens, nHeads, headDim]
  out: Float32Array; // [nTokens, nHeads, headDimV]
  nHeads: number;
  scale: number;
  /** per sequence: first query row in q, number of query rows, total keys in cache (incl. new ones) */
  seqQStart: Int32Array;
  seqQLen: Int32Array;
  seqKvLen: Int32Array;
  /** flattened block tables; sequence s uses blockTables[blockTableStart[s] ...] */
  blockTables: Int32Array;
  blockTableStart: Int32Array;
  /** query i of a sequence sits at position kvLen - qLen + i; it sees keys <= that position */
  causal?: boolean; // default true
  /** keys at positions <= pos - slidingWindow are not attended; 0 = no window */
  slidingWindow?: number;
  /** per-head sink logit added to the softmax denominator only */
  sinks?: Float32Array;
  /** sparse: query row r attends exactly keys keyIndices[keyIndexStart[r] .. + keyIndexCount[r]) (positions) */
  keyIndices?: Int32Array;
  keyIndexStart?: Int32Array;
  keyIndexCount?: Int32Array;
}

export interface TopK { indices: Int32Array; values: Float32Array }

export interface NativeOps {
  matmul(a: MatmulArgs): void;
  matmulAsync(a: MatmulArgs): Promise<void>;
  /** out = x / rms(x) * weight (weight optional = unweighted), per row of length dim */
  rmsnorm(out: Float32Array, x: Float32Array, weight: Tensor | null, rows: number, dim: number, eps: number): void;
  rope(a: RopeArgs): void;
  /** in place, per row */
  softmax(x: Float32Array, rows: number, cols: number): void;
  /** out[i] = silu(gate[i]) * up[i]; with limit: gate clamped to (-inf, limit], up to [-limit, limit] */
  swiglu(out: Float32Array, gate: Float32Array, up: Float32Array, limit?: number): void;
  gelu(out: Float32Array, x: Float32Array, approximate?: 'none' | 'tanh'): void;
  /** out[t, :] = table[ids[t], :] converted to f32 */
  embedding(out: Float32Array, table: Tensor, ids: Int32Array): void;
  /** per row; ties -> lowest index */
  argmax(x: Float32Array, rows: number, cols: number): Int32Array;
  /** per row, descending by value; ties -> lower index first */
  topk(x: Float32Array, rows: number, cols: number, k: number): TopK;
  storeKv(a: StoreKvArgs): void;
  attention(a: AttentionArgs): void;
  attentionAsync(a: AttentionArgs): Promise<void>;
}
