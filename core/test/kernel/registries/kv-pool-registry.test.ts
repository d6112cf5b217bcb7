import { describe, expect, it } from 'vitest';
import { AmbiguousKvPoolError, CapacityError, ExtensionFailedError } from '../../../src/errors.ts';
import { createDefaultKvPool } from '../../../src/engine/kv-pool.ts';
import { DEFAULT_KV_POOL_ID, KvPoolRegistry, type KvPoolProvider } from '../../../src/kernel/registries/kv-pool-registry.ts';
import type { KvPool, KvPoolRequest } from '../../../src/model/types.ts';

const llamaConfig = { model_type: 'llama', architectures: ['LlamaForCausalLM'], num_hidden_layers: 2 };
const dsv4Config = { model_type: 'deepseek_v4', architectures: ['DeepseekV4ForCausalLM'] };

function request(modelConfig: Record<string, unknown>): KvPoolRequest {
  return { numLayers: 2, numKvHeads: 2, headDim: 4, headDimV: 4, blockSize: 4, numBlocks: 3, modelConfig };
}

function fakePool(id: string): KvPool {
  return { id, blockSize: 4, numBlocks: 3, bytesPerBlock: 0, layer: () => ({ k: new Float32Array(0), v: new Float32Array(0) }), dispose() {} };
}

function provider(id: string, priority: number | undefined, match: (cfg: Record<string, unknown>) => boolean): KvPoolProvider {
  return { id, ...(priority !== undefined ? { priority } : {}), predicate: (cfg) => match(cfg), create: () => fakePool(id) };
}

describe('KvPoolRegistry', () => {
  it('no match → the core default paged pool (the injected factory)', () => {
    const reg = new KvPoolRegistry(createDefaultKvPool);
    reg.register(provider('dsv4.pool', 100, (c) => c['model_type'] === 'deepseek_v4'));
    const selection = reg.select(llamaConfig);
    expect(selection).toMatchObject({ id: DEFAULT_KV_POOL_ID, source: 'default' });
    const pool = reg.create(request(llamaConfig));
    expect(pool.id).toBe('core.paged');
    expect(pool.layer(1).k.length).toBe(3 * 4 * 2 * 4);
    pool.dispose();
  });

  it('the default factory is injectable', () => {
    const reg = new KvPoolRegistry(() => fakePool('injected-default'));
    expect(reg.create(request(llamaConfig)).id).toBe('injected-default');
  });

  it('a single match creates its pool', () => {
    const reg = new KvPoolRegistry(createDefaultKvPool);
    reg.register(provider('dsv4.pool', 100, (c) => c['model_type'] === 'deepseek_v4'));
    expect(reg.select(dsv4Config)).toMatchObject({ id: 'dsv4.pool', source: 'plugin' });
    expect(reg.create(request(dsv4Config)).id).toBe('dsv4.pool');
  });

  it('the highest priority wins; equal top priorities are an AmbiguousKvPoolError naming both', () => {
    const reg = new KvPoolRegistry(createDefaultKvPool);
    reg.register(provider('low', 10, () => true));
    reg.register(provider('high', 50, () => true));
    expect(reg.select(llamaConfig).id).toBe('high');
    reg.register(provider('high-too', 50, () => true));
    const err = (() => { try { reg.select(llamaConfig); } catch (e) { return e as AmbiguousKvPoolError; } })();
    expect(err).toBeInstanceOf(AmbiguousKvPoolError);
    expect(err!.ids).toEqual(['high', 'high-too']);
    expect(err!.message).toContain('priority 50');
  });

  it('is consulted for a non-DeepSeek model: every predicate sees the Llama config and engine config', () => {
    const reg = new KvPoolRegistry(createDefaultKvPool);
    const seen: Array<[unknown, unknown]> = [];
    reg.register({ id: 'spy', predicate: (m, e) => { seen.push([m, e]); return false; }, create: () => fakePool('spy') });
    const engineConfig = { blockSize: 4 };
    reg.create(request(llamaConfig), engineConfig).dispose();
    expect(seen).toEqual([[llamaConfig, engineConfig]]);
  });

  it('a throwing predicate names the pool id; typed errors from create keep their class', () => {
    const reg = new KvPoolRegistry(createDefaultKvPool);
    reg.register({ id: 'explodes', predicate: () => { throw new Error('bad'); }, create: () => fakePool('x') });
    expect(() => reg.select(llamaConfig)).toThrow(ExtensionFailedError);
    expect(() => reg.select(llamaConfig)).toThrow(/explodes/);

    const reg2 = new KvPoolRegistry(createDefaultKvPool);
    reg2.register({ id: 'full', predicate: () => true, create: () => { throw new CapacityError('no room'); } });
    expect(() => reg2.create(request(llamaConfig))).toThrow(CapacityError);
  });
});
