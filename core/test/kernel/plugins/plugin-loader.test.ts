import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { CoordinatorNotFoundError, EnvVarError, ModelNotSupportedError, PluginIncompatibleError } from '../../../src/errors.ts';
import { silentLogger } from '../../../src/kernel/log.ts';
import { createPlexus, type PlexusOptions } from '../../../src/kernel/runtime.ts';
import type { Checkpoint } from '../../../src/model/types.ts';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'plugins');
const fixture = (name: string) => path.resolve(FIXTURES, name);
const g = globalThis as { __plexusSideEffectEvaluations?: number; __plexusIncompatibleEvaluated?: boolean };

function start(plugins: string[], env: Record<string, string> = {}, extra: PlexusOptions = {}) {
  const imported: string[] = [];
  const plexusPromise = createPlexus({
    env,
    plugins: plugins.map(fixture),
    bundledPluginsDir: null,
    logger: silentLogger(),
    capabilities: { arch: 'x64', cores: 2, avx2: true, fma: true, f16c: true },
    nativeKernels: false,
    importModule: (url) => {
      imported.push(url);
      return import(url);
    },
    ...extra,
  });
  return { plexusPromise, imported };
}

const record = (plexus: Awaited<ReturnType<typeof createPlexus>>, id: string) => plexus.plugins().find((p) => p.id === id);
const checkpoint = (architecture: string) => ({ architecture, dir: '/nowhere', config: {} }) as unknown as Checkpoint;

describe('plugin loader', () => {
  it('a plugin throwing at import: the others load, the report has the cause, its architecture throws with it', async () => {
    const { plexusPromise } = start(['throws-at-import', 'good-a']);
    const plexus = await plexusPromise;
    expect(record(plexus, 'good-a')?.status).toBe('loaded');
    const failed = record(plexus, 'throws-at-import');
    expect(failed?.status).toBe('failed');
    expect(failed?.error?.message).toContain('flashinfer >= 9.9 required');

    const json = JSON.parse(JSON.stringify(plexus.pluginReport()));
    const entry = json.plugins.find((p: { id: string }) => p.id === 'throws-at-import');
    expect(entry).toMatchObject({ status: 'failed', error: { name: 'PluginLoadError', message: expect.stringContaining('flashinfer >= 9.9 required') } });

    expect(() => plexus.models.get('BrokenForCausalLM')).toThrow(ModelNotSupportedError);
    expect(() => plexus.models.get('BrokenForCausalLM')).toThrow(/plugin 'throws-at-import'.*flashinfer >= 9\.9 required/);
    await expect(plexus.loadModel(checkpoint('BrokenForCausalLM'))).rejects.toThrow(/flashinfer >= 9\.9 required/);
    // the unrelated plugin's model is served
    await expect(plexus.loadModel(checkpoint('GoodAForCausalLM'))).rejects.toThrow(/good-a builds no real model \(level 1\)/);

    const err = (() => { try { plexus.createEngineScope({ coordinators: ['broken-coord'] }); } catch (e) { return e as CoordinatorNotFoundError; } })();
    expect(err).toBeInstanceOf(CoordinatorNotFoundError);
    expect(err!.registered).toEqual(['good-coord']);
    expect(err!.message).toContain('flashinfer >= 9.9 required');
  });

  it('a disabled plugin is never imported; neither is one whose architectures are all disabled', async () => {
    const byId = start(['side-effect', 'good-a'], { PLEXUS_DISABLED_PLUGINS: 'side-effect' });
    const p1 = await byId.plexusPromise;
    expect(record(p1, 'side-effect')).toMatchObject({ status: 'disabled', reason: 'listed in PLEXUS_DISABLED_PLUGINS' });
    expect(byId.imported.some((u) => u.includes('/side-effect/'))).toBe(false);

    const byArch = start(['side-effect'], { PLEXUS_DISABLED_MODEL_ARCHS: 'SideAForCausalLM,SideBForCausalLM' });
    const p2 = await byArch.plexusPromise;
    expect(record(p2, 'side-effect')?.status).toBe('disabled');
    expect(record(p2, 'side-effect')?.reason).toContain('PLEXUS_DISABLED_MODEL_ARCHS');
    expect(byArch.imported).toEqual([]);
    expect(() => p2.models.get('SideAForCausalLM')).toThrow(/plugin 'side-effect'.*disabled/);

    // the module's own side effect never happened (its manifest module was read, its entry was not)
    expect(g.__plexusSideEffectEvaluations).toBeUndefined();
  });

  it('with only some architectures disabled the plugin loads, and only those are refused', async () => {
    const { plexusPromise, imported } = start(['side-effect'], { PLEXUS_DISABLED_MODEL_ARCHS: 'SideAForCausalLM' });
    const plexus = await plexusPromise;
    expect(record(plexus, 'side-effect')?.status).toBe('loaded');
    expect(imported.some((u) => u.endsWith('/side-effect/index.ts'))).toBe(true);
    expect(g.__plexusSideEffectEvaluations).toBe(1); // positive control for the test above
    expect(() => plexus.models.get('SideAForCausalLM')).toThrow(/disabled by PLEXUS_DISABLED_MODEL_ARCHS/);
    expect(plexus.models.get('SideBForCausalLM').architectures).toContain('SideBForCausalLM');
  });

  it('a plugin that throws half way through register leaves nothing behind', async () => {
    const plexus = await start(['half-register', 'good-a']).plexusPromise;
    expect(record(plexus, 'half-register')).toMatchObject({ status: 'failed', registered: [] });
    expect(record(plexus, 'half-register')?.error?.message).toContain('half way through register');
    expect(plexus.models.has('HalfForCausalLM')).toBe(false);
    expect(plexus.kernels.rows('softmax').map((r) => r.id)).toEqual(['goodOp.portable']);
    expect(plexus.env.isDeclared('PLEXUS_HALF_KNOB')).toBe(false);
    expect(plexus.kvPools.ids()).toEqual([]);
    const scope = plexus.createEngineScope();
    expect(scope.hooks.emit('requestAdmitted', { requestId: 'r', promptTokens: 1 })).toEqual([]);
    expect(() => plexus.models.get('HalfForCausalLM')).toThrow(/half way through register/);
  });

  it('a registration missing from the manifest fails the plugin and rolls back the rest', async () => {
    const plexus = await start(['undeclared']).plexusPromise;
    expect(record(plexus, 'undeclared')?.status).toBe('failed');
    expect(record(plexus, 'undeclared')?.error?.message).toMatch(/coordinator 'sneaky'.*provides\.coordinators/);
    expect(plexus.models.has('DeclaredForCausalLM')).toBe(false);
  });

  it('an incompatible core API range is refused before the plugin is imported', async () => {
    const { plexusPromise, imported } = start(['incompatible']);
    const plexus = await plexusPromise;
    const r = record(plexus, 'incompatible');
    expect(r?.status).toBe('failed');
    expect(r?.error).toBeInstanceOf(PluginIncompatibleError);
    expect(r?.error?.message).toMatch(/targets core API \^2, but this core provides 1\.0\.0/);
    expect(imported).toEqual([]);
    expect(g.__plexusIncompatibleEvaluated).toBeUndefined();
    expect(() => plexus.models.get('FutureForCausalLM')).toThrow(/plugin 'incompatible'.*core API/);
  });

  it('requirements: a failed required plugin fails its dependents; a missing native feature disables', async () => {
    const plexus = await start(['needs-broken', 'throws-at-import', 'needs-avx512']).plexusPromise;
    expect(record(plexus, 'needs-broken')?.status).toBe('failed');
    expect(record(plexus, 'needs-broken')?.error?.message).toMatch(/requires plugin 'throws-at-import', which failed: .*flashinfer/);
    expect(record(plexus, 'needs-avx512')).toMatchObject({ status: 'disabled', reason: expect.stringContaining('avx512f') });
  });

  it('reads all manifest forms and orders plugins after the ones they require', async () => {
    const plexus = await start(['manifest-json', 'manifest-module', 'good-a']).plexusPromise;
    expect(plexus.plugins().map((p) => [p.id, p.status])).toEqual([['good-a', 'loaded'], ['manifest-json', 'loaded'], ['manifest-module', 'loaded']]);
    expect(plexus.kvPools.select({ model_type: 'json-model' }).id).toBe('json-pool');
    expect(plexus.kvPools.select({ model_type: 'llama' }).id).toBe('core.paged');
    expect(plexus.quantMethods.ids()).toEqual(['fp8-block', 'mm-wrapper']); // fp8-block is the core's own
    expect(record(plexus, 'good-a')?.registered).toEqual(['env PLEXUS_GOOD_A_LEVEL', 'architectures GoodAForCausalLM', 'kernel row goodOp.portable (softmax)', 'coordinator good-coord']);
  });

  it('a plugin env enum with an invalid value fails that plugin only; a valid one is in the snapshot', async () => {
    const bad = await start(['enum-env', 'good-a'], { PLEXUS_ENUM_ENV_MODE: 'reckless' }).plexusPromise;
    expect(record(bad, 'enum-env')?.status).toBe('failed');
    expect((record(bad, 'enum-env')?.error as Error & { cause?: unknown }).cause).toBeInstanceOf(EnvVarError);
    expect(record(bad, 'good-a')?.status).toBe('loaded');
    const good = await start(['enum-env'], { PLEXUS_ENUM_ENV_MODE: 'FAST', PLEXUS_GOOD_A_LEVEL: '3' }).plexusPromise;
    expect(good.envSnapshot().get('PLEXUS_ENUM_ENV_MODE' as never)).toBe('fast');
    expect(good.envSnapshot().entry('PLEXUS_ENUM_ENV_MODE')?.spec.owner).toBe('enum-env');
  });

  it('plugin-declared variables are not "unknown"; strict mode fails on a truly unknown one', async () => {
    const ok = await start(['good-a'], { PLEXUS_GOOD_A_LEVEL: '2' }, { strictEnv: true }).plexusPromise;
    expect(ok.envSnapshot().get('PLEXUS_GOOD_A_LEVEL' as never)).toBe(2);
    await expect(start(['good-a'], { PLEXUS_GOOD_A_LEVL: '2' }, { strictEnv: true }).plexusPromise).rejects.toThrow(/PLEXUS_GOOD_A_LEVL/);
  });

  describe('discovery', () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'plexus-loader-'));
    afterAll(() => rmSync(tmp, { recursive: true, force: true }));

    it('bundled folder + --plugin + PLEXUS_PLUGINS; a missing path is a failed record, the same folder twice loads once', async () => {
      const { plexusPromise } = start(['good-a', 'does-not-exist'], { PLEXUS_PLUGINS: `${fixture('manifest-module')},${fixture('good-a')}` }, { bundledPluginsDir: null });
      const plexus = await plexusPromise;
      expect(plexus.plugins().map((p) => [p.id, p.origin, p.status]).sort()).toEqual([
        [fixture('does-not-exist'), 'cli', 'failed'],
        ['good-a', 'cli', 'loaded'],
        ['manifest-module', 'env', 'loaded'],
      ]);
      expect(record(plexus, fixture('does-not-exist'))?.error?.message).toMatch(/is not a directory/);
      const bundled = await start([], {}, { bundledPluginsDir: FIXTURES }).plexusPromise;
      expect(bundled.plugins().length).toBe(11);
      expect(bundled.plugins().every((p) => p.origin === 'bundled')).toBe(true);
    });

    it('a package name resolves through node_modules to the real folder (a workspace link is the same plugin)', async () => {
      const repo = path.resolve(FIXTURES, '..', '..', '..', '..', '..');
      const plexus = await createPlexus({
        env: {}, plugins: ['@plexus/plugin-llama', 'no-such-plexus-plugin'], bundledPluginsDir: path.join(repo, 'plugins'), cwd: repo,
        logger: silentLogger(), capabilities: { arch: 'x64', cores: 1 }, nativeKernels: false,
      });
      const llama = plexus.plugins().filter((p) => p.id === 'llama');
      expect(llama).toHaveLength(1);
      expect(llama[0]).toMatchObject({ origin: 'bundled', location: path.join(repo, 'plugins', 'llama') });
      expect(record(plexus, 'no-such-plexus-plugin')?.error?.message).toMatch(/is not installed/);
    });

    it('two folders with the same plugin id: the second is refused', async () => {
      const copy = path.join(tmp, 'good-a-copy');
      cpSync(fixture('good-a'), copy, { recursive: true });
      const plexus = await start(['good-a', copy]).plexusPromise;
      const records = plexus.plugins().filter((p) => p.id === 'good-a');
      expect(records.map((r) => r.status)).toEqual(['loaded', 'failed']);
      expect(records[1]!.error?.message).toContain('already taken');
    });
  });
});
