/**
 * The V4 pool as the KvPoolRegistry sees it (chosen for DeepSeek-V4 configs only), its layout arithmetic
 * (each window's entry lands in the block of its last token, in a free slot) and its price.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KvPoolRegistry } from '@plexus/core';
import { createDefaultKvPool, kvBytesPerBlock } from '@plexus/core/internal';
import { parseDsv4Config } from '../src/config/dsv4-config.ts';
import { DSV4_KV_POOL_PROVIDER } from '../src/kv/kv-pool-provider.ts';
import { entryLocation, v4CacheLayout } from '../src/kv/v4-cache-layout.ts';
import { isV4KvPool } from '../src/kv/v4-kv-pool.ts';
import { fixtureDir } from './support/fixtures.ts';

const DS = JSON.parse(readFileSync(join(fixtureDir('dsv4-deepseek-c128'), 'config.json'), 'utf8')) as Record<string, unknown>;
const LLAMA = { architectures: ['LlamaForCausalLM'], model_type: 'llama', hidden_size: 64 };
const request = (modelConfig: Record<string, unknown>, blockSize = 16, numBlocks = 8) =>
  ({ numLayers: 4, numKvHeads: 1, headDim: 64, headDimV: 64, blockSize, numBlocks, modelConfig });

describe('V4 KV pool', () => {
  it('the registry gives DeepSeek-V4 models the V4 pool and every other model the default pool', () => {
    const registry = new KvPoolRegistry(createDefaultKvPool);
    registry.register(DSV4_KV_POOL_PROVIDER, 'dsv4');
    expect(registry.select(DS).id).toBe('dsv4.v4-cache');
    expect(registry.select({ model_type: 'deepseek_v4' }).id).toBe('dsv4.v4-cache');
    expect(registry.select(LLAMA).source).toBe('default');
    const pool = registry.create(request(DS));
    expect(isV4KvPool(pool)).toBe(true);
    expect(pool.numBlocks).toBe(8);
    pool.dispose();
    expect(isV4KvPool(registry.create(request(LLAMA)))).toBe(false);
  });

  it('every window\'s entry goes to the block of its last token, in a distinct slot below entriesPerBlock', () => {
    for (const blockSize of [1, 3, 5, 16, 64, 256]) {
      for (const ratio of [2, 4, 5, 16, 128]) {
        const perBlock = Math.ceil(blockSize / ratio);
        const used = new Set<string>();
        for (let t = 0; t < 200; t++) {
          const { block, slot } = entryLocation(t, ratio, blockSize);
          expect(block, `bs ${blockSize} r ${ratio} t ${t}`).toBe(Math.floor((t * ratio + ratio - 1) / blockSize));
          expect(slot >= 0 && slot < perBlock, `bs ${blockSize} r ${ratio} t ${t}: slot ${slot} of ${perBlock}`).toBe(true);
          const key = `${block}:${slot}`;
          expect(used.has(key), `bs ${blockSize} r ${ratio}: slot reused by window ${t}`).toBe(false);
          used.add(key);
        }
      }
    }
  });

  it('reports its real size, and the model\'s KV request prices at least that much in the core\'s formula', async () => {
    const config = parseDsv4Config(DS);
    const layout = v4CacheLayout(config, 16);
    // raw rows everywhere; CSA layers: main + indexer state and entries; the HCA layer: main state, 1 entry slot
    const expected = 4 * (4 * 16 * 64 + 2 * (2 * 16 * 128 + 4 * 64 + 2 * 16 * 64 + 4 * 32) + (2 * 16 * 64 + 1 * 64));
    expect(layout.bytesPerBlock).toBe(expected);
    const { createDsv4Model } = await import('../src/model/dsv4-model.ts');
    const { loadCheckpoint } = await import('@plexus/core/internal');
    const { testBuildContext } = await import('./support/build-context.ts');
    const checkpoint = await loadCheckpoint(fixtureDir('dsv4-deepseek-c128'));
    const model = createDsv4Model(checkpoint, testBuildContext());
    const req = model.kvRequest(16, 3);
    expect(kvBytesPerBlock(req)).toBeGreaterThanOrEqual(layout.bytesPerBlock);
    expect(kvBytesPerBlock(req)).toBeLessThan(layout.bytesPerBlock * 1.05);
    const pool = DSV4_KV_POOL_PROVIDER.create(req);
    expect(pool.bytesPerBlock).toBe(layout.bytesPerBlock);
    expect(pool.layer(1).k).toBe(pool.layer(1).v); // one shared K=V head
    pool.dispose();
    expect(() => pool.layer(0)).toThrow(/after dispose/);
    checkpoint.tensors.close();
  });
});
