import { describe, expect, it } from 'vitest';
import { PluginLoadError } from '../../src/errors.ts';
import { resolveToken } from '../../src/kernel/di/container.ts';
import { Tokens } from '../../src/kernel/di/tokens.ts';
import { EnvRegistry } from '../../src/kernel/env/env-registry.ts';
import { silentLogger } from '../../src/kernel/log.ts';
import { StagedRegistrations } from '../../src/kernel/plugins/plugin-context.ts';
import { CoordinatorRegistry } from '../../src/kernel/registries/coordinator-registry.ts';
import { KernelRegistry } from '../../src/kernel/registries/kernel-registry.ts';
import { KvPoolRegistry } from '../../src/kernel/registries/kv-pool-registry.ts';
import { HookTable } from '../../src/kernel/registries/lifecycle-hooks.ts';
import { ModelRegistry } from '../../src/kernel/registries/model-registry.ts';
import { QuantMethodRegistry } from '../../src/kernel/registries/quant-method-registry.ts';
import { createPlexus } from '../../src/kernel/runtime.ts';
import { createDefaultKvPool } from '../../src/engine/kv-pool.ts';
import { TextProcessingRegistry } from '../../src/text/text-processing-registry.ts';

const caps = { arch: 'x64', cores: 2, avx2: true, fma: true, f16c: true };

function bare(env: Record<string, string> = {}) {
  return createPlexus({ env, bundledPluginsDir: null, logger: silentLogger(), capabilities: caps, nativeKernels: false });
}

describe('createPlexus', () => {
  it('adds logBindings to every line of its default logger (how the engine worker tags its lines)', async () => {
    const tagged = await createPlexus({ env: { PLEXUS_LOG_LEVEL: 'silent' }, bundledPluginsDir: null, capabilities: caps, nativeKernels: false, logBindings: { thread: 'engine' } });
    expect(tagged.log.bindings()).toEqual({ name: 'plexus', thread: 'engine' });
    const plain = await createPlexus({ env: { PLEXUS_LOG_LEVEL: 'silent' }, bundledPluginsDir: null, capabilities: caps, nativeKernels: false });
    expect(plain.log.bindings()).toEqual({ name: 'plexus' });
    tagged.dispose();
    plain.dispose();
  });

  it('registers every service under its explicit DI token', async () => {
    const plexus = await bare();
    expect(resolveToken(plexus.container, Tokens.Kernels)).toBe(plexus.kernels);
    expect(resolveToken(plexus.container, Tokens.Models)).toBe(plexus.models);
    expect(resolveToken(plexus.container, Tokens.Env)).toBe(plexus.env);
    expect(resolveToken(plexus.container, Tokens.Capabilities)).toEqual(caps);
  });

  it('each engine scope has its own hook bus and child container; plugin-level hooks reach all of them', async () => {
    const plexus = await bare();
    const seen: string[] = [];
    plexus.pluginHooks.on('requestFinished', (p, e) => seen.push(`${e.engineId}:${p.requestId}`));
    const a = plexus.createEngineScope({ engineId: 'a' });
    const b = plexus.createEngineScope({ engineId: 'b' });
    expect(a.hooks).not.toBe(b.hooks);
    expect(resolveToken(a.container, Tokens.EngineHooks)).toBe(a.hooks);
    expect(resolveToken(b.container, Tokens.EngineId)).toBe('b');
    // engine scopes still see the runtime's services
    expect(resolveToken(a.container, Tokens.Kernels)).toBe(plexus.kernels);
    a.hooks.on('requestFinished', () => seen.push('a-only'));
    b.hooks.emit('requestFinished', { requestId: 'r1', reason: 'stop' });
    a.hooks.emit('requestFinished', { requestId: 'r2', reason: 'length' });
    expect(seen).toEqual(['b:r1', 'a:r2', 'a-only']);
  });

  it('applies PLEXUS_KERNEL_OVERRIDES and PLEXUS_FORCE_PORTABLE_KERNELS from the env snapshot', async () => {
    const rows = (plexus: Awaited<ReturnType<typeof bare>>) => {
      plexus.kernels.register('softmax', { id: 'softmax.portable', priority: 1000, when: () => true, impl: (() => {}) as never });
      plexus.kernels.register('softmax', { id: 'softmax.avx2', when: (c) => !!c.avx2, impl: (() => {}) as never });
      return plexus.kernels.resolve('softmax').id;
    };
    expect(rows(await bare())).toBe('softmax.avx2');
    expect(rows(await bare({ PLEXUS_KERNEL_OVERRIDES: 'softmax.avx2=off' }))).toBe('softmax.portable');
    expect(rows(await bare({ PLEXUS_FORCE_PORTABLE_KERNELS: 'yes' }))).toBe('softmax.portable');
    expect(rows(await bare({ PLEXUS_FORCE_PORTABLE_KERNELS: '1', PLEXUS_KERNEL_OVERRIDES: 'softmax.avx2=on' }))).toBe('softmax.avx2');
  });

  it('an invalid policy value stops startup with a clear error', async () => {
    await expect(bare({ PLEXUS_LOG_LEVEL: 'chatty' })).rejects.toThrow(/PLEXUS_LOG_LEVEL: 'chatty' is not one of trace, debug/);
  });

  it('routes KV pool creation through the registry with the injected default', async () => {
    const plexus = await createPlexus({
      env: {}, bundledPluginsDir: null, logger: silentLogger(), capabilities: caps, nativeKernels: false,
      defaultKvPool: (req) => ({ ...createDefaultKvPool(req), id: 'custom-default' }),
    });
    const pool = plexus.createKvPool({ numLayers: 1, numKvHeads: 1, headDim: 2, headDimV: 2, blockSize: 2, numBlocks: 2, modelConfig: { model_type: 'qwen3' } });
    expect(pool.id).toBe('custom-default');
  });
});

describe('StagedRegistrations', () => {
  function staging() {
    const registries = {
      models: new ModelRegistry(), quantMethods: new QuantMethodRegistry(), kvPools: new KvPoolRegistry(createDefaultKvPool),
      coordinators: new CoordinatorRegistry(), kernels: new KernelRegistry({ capabilities: caps }), env: new EnvRegistry({ source: { PLEXUS_P_SCALE: '2.5' } }),
      text: new TextProcessingRegistry(), hooks: new HookTable(),
    };
    const manifest = { id: 'p', version: '1.0.0', coreApi: '^1', provides: { kernels: ['a.row', 'b.row'], env: ['PLEXUS_P_SCALE'], reasoningParsers: ['p_think'] } };
    return { registries, staged: new StagedRegistrations(registries, manifest, silentLogger(), '1.0.0') };
  }

  it('text processors are staged like every other registration and must be declared in the manifest', () => {
    const { registries, staged } = staging();
    const ctx = staged.context();
    const parser = { parse: (t: string) => ({ reasoning: '', content: t }), createStream: () => ({}), startsInReasoning: () => false };
    ctx.text.register('reasoningParser', 'p_think', () => parser as never);
    expect(registries.text.has('reasoningParser', 'p_think')).toBe(false);
    expect(() => ctx.text.register('toolCallParser', 'undeclared', () => ({}) as never)).toThrow(/provides\.toolCallParsers/);
    staged.commit();
    expect(registries.text.has('reasoningParser', 'p_think')).toBe(true);
    expect(registries.text.get('reasoningParser', 'p_think')).toBe(parser);
  });

  it('nothing reaches the registries before commit; a withdrawn registration is skipped; disposers work after commit', () => {
    const { registries, staged } = staging();
    const ctx = staged.context();
    const scale = ctx.env.declare({ name: 'PLEXUS_P_SCALE', type: 'float', default: 1, doc: 'scale' });
    expect(ctx.env.get(scale)).toBe(2.5); // readable while staged
    expect(registries.env.isDeclared('PLEXUS_P_SCALE')).toBe(false);
    const withdraw = ctx.kernels.register('softmax', { id: 'a.row', when: () => true, impl: (() => {}) as never });
    const keep = ctx.kernels.register('softmax', { id: 'b.row', when: () => true, impl: (() => {}) as never });
    expect(registries.kernels.ops()).toEqual([]);
    withdraw();
    const undo = staged.commit();
    expect(registries.kernels.rows('softmax').map((r) => r.id)).toEqual(['b.row']);
    expect(registries.kernels.rows('softmax')[0]!.owner).toBe('p');
    expect(registries.env.snapshot().get(scale)).toBe(2.5);
    keep();
    expect(registries.kernels.ops()).toEqual([]);
    undo();
    expect(registries.env.isDeclared('PLEXUS_P_SCALE')).toBe(false);
  });

  it('registering after register() finished is refused', () => {
    const { staged } = staging();
    const ctx = staged.context();
    staged.commit();
    expect(() => ctx.kernels.register('softmax', { id: 'a.row', when: () => true, impl: (() => {}) as never })).toThrow(PluginLoadError);
  });

  it('a commit that conflicts half way undoes what it applied', () => {
    const { registries, staged } = staging();
    registries.kernels.register('softmax', { id: 'b.row', when: () => true, impl: (() => {}) as never }, 'someone else');
    const ctx = staged.context();
    ctx.kernels.register('softmax', { id: 'a.row', when: () => true, impl: (() => {}) as never });
    ctx.kernels.register('softmax', { id: 'b.row', when: () => true, impl: (() => {}) as never });
    expect(() => staged.commit()).toThrow(/already registered by someone else/);
    expect(registries.kernels.rows('softmax').map((r) => r.id)).toEqual(['b.row']);
  });
});
