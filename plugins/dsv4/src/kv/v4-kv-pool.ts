/**
 * The V4 KV pool (registered in the KvPoolRegistry for DeepSeek-V4 models): float32 arrays per layer laid
 * out as v4-cache-layout.ts describes, indexed by the engine's block ids. `layer(i)` exposes the raw K=V rows
 * as both k and v (DeepSeek-V4 shares one head for keys and values).
 */
import { CapacityError, InvalidArgumentError, type KvPool, type KvPoolRequest } from '@plexus/core';
import { parseDsv4Config } from '../config/dsv4-config.ts';
import { DSV4_KV_POOL_ID } from '../manifest.ts';
import { v4CacheLayout, type CompressorCacheLayout, type V4CacheLayout } from './v4-cache-layout.ts';

export interface CompressorCache {
  readonly layout: CompressorCacheLayout;
  /** [numBlocks·blockSize, width] projected kv per token */
  readonly kv: Float32Array;
  /** [numBlocks·blockSize, width] gate score + position bias per token */
  readonly score: Float32Array;
  /** [numBlocks·entriesPerBlock, dim] */
  readonly entries: Float32Array;
}

export interface LayerCache {
  /** [numBlocks·blockSize, headDim] */
  readonly raw: Float32Array;
  readonly main?: CompressorCache;
  readonly indexer?: CompressorCache;
}

export interface V4KvPool extends KvPool {
  readonly layout: V4CacheLayout;
  cache(layer: number): LayerCache;
}

const MAX_ARRAY_BYTES = 2 ** 32;

export function isV4KvPool(pool: KvPool): pool is V4KvPool {
  return pool.id === DSV4_KV_POOL_ID && typeof (pool as Partial<V4KvPool>).cache === 'function';
}

export function createV4KvPool(req: KvPoolRequest): V4KvPool {
  const config = parseDsv4Config(req.modelConfig);
  const layout = v4CacheLayout(config, req.blockSize);
  const n = req.numBlocks;
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`V4 KV pool: numBlocks must be a positive integer, got ${n}`, 'numBlocks');
  const alloc = (floatsPerBlock: number, what: string): Float32Array => {
    const length = n * floatsPerBlock;
    if (length * 4 > MAX_ARRAY_BYTES) {
      throw new CapacityError(`V4 KV pool: ${n} blocks of ${req.blockSize} tokens need ${(length * 4 / 2 ** 30).toFixed(1)} GiB for one ${what} array (limit 4 GiB); lower --max-total-tokens`);
    }
    return new Float32Array(length);
  };
  const bs = req.blockSize;
  const compressor = (l: CompressorCacheLayout | undefined, what: string): CompressorCache | undefined => l && {
    layout: l,
    kv: alloc(bs * l.width, `${what} state`),
    score: alloc(bs * l.width, `${what} state`),
    entries: alloc(l.entriesPerBlock * l.dim, `${what} entries`),
  };
  let layers: LayerCache[] = layout.layers.map((l) => {
    const main = compressor(l.main, 'compressor');
    const indexer = compressor(l.indexer, 'indexer');
    return { raw: alloc(bs * l.headDim, 'raw kv'), ...(main ? { main } : {}), ...(indexer ? { indexer } : {}) };
  });
  const get = (index: number): LayerCache => {
    if (layers.length === 0) throw new Error('V4 KV pool used after dispose');
    const l = layers[index];
    if (!l) throw new RangeError(`V4 KV pool has ${layers.length} layers, asked for ${index}`);
    return l;
  };
  return {
    id: DSV4_KV_POOL_ID,
    blockSize: bs,
    numBlocks: n,
    bytesPerBlock: layout.bytesPerBlock,
    layout,
    cache: get,
    layer(index) {
      const raw = get(index).raw;
      return { k: raw, v: raw };
    },
    dispose() { layers = []; },
  };
}
