/**
 * The DeepSeek-V4-specific ops, added to the KernelRegistry's op table (declaration merging) so rows can be
 * registered and `ops.dsv4SparseAttention(...)` is typed. Each has a TypeScript row today; the natural
 * native (C++ / AVX2) rows are listed in rows.ts.
 */

export interface SparseAttentionArgs {
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

export interface IndexerScoresArgs {
  /** [numQueries, numHeads, headDim] */
  q: Float32Array;
  /** [numQueries, numHeads], every scale already folded in */
  weights: Float32Array;
  /** indexer keys [numKeys, headDim] */
  keys: Float32Array;
  /** entries query i may see: keys [0, visible[i]) */
  visible: Int32Array;
  /** [numQueries, numKeys]: Σ_h weights·ReLU(q_h · k) for visible keys, -Infinity beyond */
  out: Float32Array;
  numQueries: number;
  numHeads: number;
  headDim: number;
  numKeys: number;
}

export interface CompressWindowsArgs {
  /** [numWindows, dim] */
  out: Float32Array;
  /** candidate rows [numWindows, numCandidates, dim]; a candidate with score -Infinity has weight 0 */
  kv: Float32Array;
  score: Float32Array;
  numWindows: number;
  numCandidates: number;
  dim: number;
}

declare module '@plexus/core' {
  interface KernelOps {
    /** per query and head: softmax over its key list plus the head's sink (dropped), times the keys */
    dsv4SparseAttention(a: SparseAttentionArgs): void;
    /** lightning indexer scores of queries against compressed indexer keys */
    dsv4IndexerScores(a: IndexerScoresArgs): void;
    /** per channel: Σ_candidates softmax_candidates(score) · kv (the KV compressor's pooling) */
    dsv4CompressWindows(a: CompressWindowsArgs): void;
  }
}
