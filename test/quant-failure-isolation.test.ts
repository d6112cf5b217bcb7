/**
 * Failure isolation for quantized models: with the mxfp4 plugin disabled or failed, loading an MXFP4
 * checkpoint fails with a typed error naming the plugin and its cause (never a silently wrong float path);
 * FP8 and dense models load and run exactly as before.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPlexus, silentLogger, type Plexus, type PlexusOptions } from '../core/src/api.ts';
import { QuantMethodUnavailableError } from '../core/src/errors.ts';
import { providerLookupFrom } from '../core/src/kernel/plugins/plugin-report.ts';
import { openSafetensorsStore } from '../core/src/model/safetensors/open-store.ts';
import type { Checkpoint, TensorStore } from '../core/src/model/types.ts';
import { buildTinyMoe, TINY_CONFIG, tinyPrompt, writeTinyCheckpoints, type TinyCheckpoints } from './quant-support.ts';

const MXFP4_PLUGIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'plugins', 'mxfp4');

function start(env: Record<string, string>, extra: Partial<PlexusOptions> = {}): Promise<Plexus> {
  return createPlexus({ env, logger: silentLogger(), bundledPluginsDir: null, plugins: [MXFP4_PLUGIN], ...extra });
}

/** the tiny model as a ModelRegistry provider, as a model plugin would register it (the runtime's plugin records answer "why is mxfp4 missing") */
function registerTinyModel(plexus: Plexus): void {
  plexus.models.register({
    architectures: ['TinyMoeForTest'],
    load: (ck, ctx) => {
      const model = buildTinyMoe(ck.tensors, ck.config as Record<string, unknown>, ctx, providerLookupFrom(() => plexus.plugins()));
      return { architecture: 'TinyMoeForTest', forward: (b: { tokens: Int32Array }) => model.forward(b.tokens) } as never;
    },
  }, 'test');
}

function checkpoint(store: TensorStore): Checkpoint {
  return { dir: '/tmp/tiny', config: TINY_CONFIG, architecture: 'TinyMoeForTest', tensors: store, generation: { eosTokenIds: [] } };
}

describe('mxfp4 plugin disabled or failed', () => {
  let files: TinyCheckpoints;
  const stores: TensorStore[] = [];
  const open = async (p: string) => { const s = await openSafetensorsStore(p); stores.push(s); return s; };
  beforeAll(() => { files = writeTinyCheckpoints(5); });
  afterAll(() => { for (const s of stores) s.close(); });

  const scenarios: Array<[string, Record<string, string>, Partial<PlexusOptions>, RegExp]> = [
    ['disabled by PLEXUS_DISABLED_PLUGINS', { PLEXUS_DISABLED_PLUGINS: 'mxfp4' }, {}, /plugin 'mxfp4' provides it but is disabled \(listed in PLEXUS_DISABLED_PLUGINS\)/],
    ['failed at import (simulated)', {}, {
      importModule: (url: string) => (url.includes('/plugins/mxfp4/') ? Promise.reject(new Error('simulated: libmxfp4 kernels missing')) : import(url)),
    }, /plugin 'mxfp4' provides it but failed to load: PluginLoadError: .*simulated: libmxfp4 kernels missing/],
  ];

  it.each(scenarios)('%s: the MXFP4 model fails naming the plugin and the cause; FP8 and dense models are unaffected', async (_name, env, extra, why) => {
    const plexus = await start(env, extra);
    const record = plexus.plugins().find((p) => p.id === 'mxfp4');
    expect(record?.status).not.toBe('loaded');
    expect(plexus.quantMethods.ids()).not.toContain('mxfp4');
    registerTinyModel(plexus);

    const err = await plexus.loadModel(checkpoint(await open(files.quantized))).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(QuantMethodUnavailableError);
    expect((err as QuantMethodUnavailableError).code).toBe('quant_method_unavailable');
    expect((err as Error).message).toMatch(/MoE layer layers\.0\.ffn\.experts: the routed experts are MXFP4/);
    expect((err as Error).message).toMatch(why);
    if (record?.status === 'failed') expect((err as Error).cause).toBe(record.error);

    // FP8 dense + float experts: no plugin needed, and it computes what its F32 twin computes
    const ctx = { ops: plexus.kernels.bindOps(), kernels: plexus.kernels, quant: plexus.quantMethods };
    const fp8 = buildTinyMoe(await open(files.fp8Dense), TINY_CONFIG, ctx);
    const twin = buildTinyMoe(await open(files.twin), TINY_CONFIG, ctx);
    const prompt = tinyPrompt(20);
    const a = fp8.forward(prompt), b = twin.forward(prompt);
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThanOrEqual(1e-4);
    const model = await plexus.loadModel(checkpoint(await open(files.fp8Dense)));
    expect(model.forward({ tokens: prompt } as never)).toEqual(a);
    plexus.dispose();
  });

  it('with the plugin loaded the same checkpoint loads (control)', async () => {
    const plexus = await start({});
    registerTinyModel(plexus);
    const model = await plexus.loadModel(checkpoint(await open(files.quantized)));
    expect(model.forward({ tokens: tinyPrompt(4) } as never)).toHaveLength(4 * TINY_CONFIG.vocab_size);
    plexus.dispose();
  });
});
