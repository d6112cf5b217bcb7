/**
 * The core's default paged KV pool: per layer one K and one V array of
 * [numBlocks, blockSize, numKvHeads, headDim] float32. Used when no plugin pool matches.
 */
import type { KvPool, KvPoolRequest } from '../model/types.ts';
import { CapacityError } from '../errors.ts';

export function kvBytesPerBlock(req: Pick<KvPoolRequest, 'numLayers' | 'numKvHeads' | 'headDim' | 'headDimV' | 'blockSize'>): number {
  return req.numLayers * req.blockSize * req.numKvHeads * (req.headDim + req.headDimV) * 4;
}

export function createDefaultKvPool(req: KvPoolRequest): KvPool {
  const kPerLayer = req.numBlocks * req.blockSize * req.numKvHeads * req.headDim;
  const vPerLayer = req.numBlocks * req.blockSize * req.numKvHeads * req.headDimV;
  if (!Number.isSafeInteger(kPerLayer) || kPerLayer * 4 > 2 ** 32) {
    throw new CapacityError(`KV pool: ${req.numBlocks} blocks of ${req.blockSize} tokens exceed one 4 GiB layer buffer; lower --max-total-tokens`);
  }
  const layers = Array.from({ length: req.numLayers }, () => ({
    k: new Float32Array(kPerLayer),
    v: new Float32Array(vPerLayer),
  }));
  let disposed = false;
  return {
    id: 'core.paged',
    blockSize: req.blockSize,
    numBlocks: req.numBlocks,
    bytesPerBlock: kvBytesPerBlock(req),
    layer(index: number) {
      if (disposed) throw new Error('KV pool used after dispose');
      const l = layers[index];
      if (!l) throw new RangeError(`KV pool has ${layers.length} layers, asked for ${index}`);
      return l;
    },
    dispose() { disposed = true; layers.length = 0; },
  };
}
