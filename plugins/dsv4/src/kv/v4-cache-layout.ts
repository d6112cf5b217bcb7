/**
 * Layout of the V4 cache, paged in the engine's blocks of `blockSize` positions. Per layer and block:
 *  - raw:    every token's K=V row after kv_norm + RoPE [blockSize, headDim] (the sliding window reads the
 *            last `sliding_window` of them);
 *  - per compressor (main on compressed layers; the indexer's on CSA layers):
 *    state:   every token's compressor inputs — projected kv and gate score (+ position bias) [blockSize, c·dim]
 *             each (c = 2 with overlap): what a window's entry is computed from once its last token arrives;
 *    entries: the compressed entries of the windows that END in this block [ceil(blockSize / ratio), dim]
 *             (indexer entries = the indexer's keys).
 * Everything in a block depends only on tokens at or before that block's last position, so a full block
 * never changes again: prefix caching, chunked prefill and recompute after preemption work unchanged.
 */
import type { Dsv4Config } from '../config/dsv4-config.ts';

export interface CompressorCacheLayout {
  readonly ratio: number;
  readonly overlap: boolean;
  /** entry width */
  readonly dim: number;
  /** per-token state width (c·dim) */
  readonly width: number;
  readonly entriesPerBlock: number;
}

export interface LayerCacheLayout {
  readonly index: number;
  readonly headDim: number;
  readonly main?: CompressorCacheLayout;
  readonly indexer?: CompressorCacheLayout;
}

export interface V4CacheLayout {
  readonly blockSize: number;
  readonly layers: readonly LayerCacheLayout[];
  /** float32 values one block holds across all layers */
  readonly floatsPerBlock: number;
  readonly bytesPerBlock: number;
}

export function v4CacheLayout(c: Dsv4Config, blockSize: number): V4CacheLayout {
  if (!Number.isSafeInteger(blockSize) || blockSize < 1) throw new RangeError(`V4 cache: blockSize must be a positive integer, got ${blockSize}`);
  const comp = (ratio: number, overlap: boolean, dim: number): CompressorCacheLayout => ({
    ratio, overlap, dim, width: (overlap ? 2 : 1) * dim, entriesPerBlock: Math.ceil(blockSize / ratio),
  });
  const layers = c.layers.map((l): LayerCacheLayout => ({
    index: l.index,
    headDim: c.headDim,
    ...(l.ratio > 0 ? { main: comp(l.ratio, l.overlap, c.headDim) } : {}),
    ...(l.indexer ? { indexer: comp(l.ratio, l.overlap, c.indexHeadDim) } : {}),
  }));
  const compFloats = (x?: CompressorCacheLayout) => (x ? 2 * blockSize * x.width + x.entriesPerBlock * x.dim : 0);
  const floatsPerBlock = layers.reduce((s, l) => s + blockSize * l.headDim + compFloats(l.main) + compFloats(l.indexer), 0);
  return { blockSize, layers, floatsPerBlock, bytesPerBlock: 4 * floatsPerBlock };
}

/** where window t's entry lives: the block holding its last token, and its slot among that block's entries */
export function entryLocation(t: number, ratio: number, blockSize: number): { block: number; slot: number } {
  const end = t * ratio + ratio - 1;
  const block = Math.floor(end / blockSize);
  const firstEnding = Math.ceil((block * blockSize + 1) / ratio) - 1;
  return { block, slot: t - firstEnding };
}
