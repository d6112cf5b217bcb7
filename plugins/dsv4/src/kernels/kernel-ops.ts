/**
 * The DeepSeek-V4-specific ops, added to the KernelRegistry's op table (declaration merging) so rows can be
 * registered and `ops.dsv4SparseAttention(...)` is typed. Each has a TypeScript row today; the natural
 * native (C++ / AVX2) rows are listed in rows.ts.
 */

import type { Dsv4CompressWindowsArgs, Dsv4IndexerScoresArgs, Dsv4SparseAttentionArgs } from '@plexus/native';

// one argument shape per op for every row (TypeScript and native): the native package defines them
export type SparseAttentionArgs = Dsv4SparseAttentionArgs;
/** indexer weights arrive with every scale already folded in */
export type IndexerScoresArgs = Dsv4IndexerScoresArgs;
export type CompressWindowsArgs = Dsv4CompressWindowsArgs;

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
