/**
 * The plugin API from the outside: a plugin outside plugins/, loaded by path, registers a kernel row, an env
 * variable and lifecycle hooks. Only @plexus/core is imported here.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createPlexus, HookHandlerError, silentLogger } from '@plexus/core';

const PLUGIN = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'third-party-plugin');

function start(env: Record<string, string>) {
  return createPlexus({ env, plugins: [PLUGIN], bundledPluginsDir: null, logger: silentLogger(), nativeKernels: false, capabilities: { arch: 'x64', cores: 2 } });
}

describe('third-party plugin loaded by path', () => {
  it('loads and reports what it registered', async () => {
    const plexus = await start({});
    const report = plexus.pluginReport();
    expect(report.plugins).toEqual([
      expect.objectContaining({
        id: 'example', version: '0.3.0', origin: 'cli', location: PLUGIN, status: 'loaded',
        registered: ['env PLEXUS_EXAMPLE_SCALE', 'kernel row example.scale.portable (exampleScale)', 'hook requestFinished', 'query exampleFinished', 'hook requestAdmitted'],
      }),
    ]);
  });

  it('its env variable is declared, owned by the plugin, parsed once, and feeds its kernel row', async () => {
    const plexus = await start({ PLEXUS_EXAMPLE_SCALE: '2.5' });
    const entry = plexus.envSnapshot().entry('PLEXUS_EXAMPLE_SCALE');
    expect(entry).toMatchObject({ value: 2.5, source: 'env', spec: { owner: 'example', type: 'float', default: 1 } });

    expect(plexus.kernels.resolve('exampleScale').id).toBe('example.scale.portable');
    const ops = plexus.kernels.bindOps();
    const x = new Float32Array([1, -2, 4]);
    ops.exampleScale(x, plexus.envSnapshot().get('PLEXUS_EXAMPLE_SCALE'));
    expect([...x]).toEqual([2.5, -5, 10]);
    expect(plexus.kernels.describe()).toContain('example.scale.portable');

    const invalid = await start({ PLEXUS_EXAMPLE_SCALE: '-3' });
    expect(invalid.envSnapshot().entry('PLEXUS_EXAMPLE_SCALE')).toMatchObject({ value: 1, problem: expect.stringContaining('minimum 0') });
  });

  it('its kernel row obeys the core override: off makes the op unavailable', async () => {
    const plexus = await start({ PLEXUS_KERNEL_OVERRIDES: 'example.scale.portable=off' });
    expect(() => plexus.kernels.resolve('exampleScale')).toThrow(/example\.scale\.portable: off/);
  });

  it('its lifecycle hooks run per engine instance, and a throwing hook fails only its request', async () => {
    const plexus = await start({});
    const a = plexus.createEngineScope({ engineId: 'engine-a' });
    const b = plexus.createEngineScope({ engineId: 'engine-b' });
    a.hooks.emit('requestFinished', { requestId: 'a1', reason: 'stop' });
    b.hooks.emit('requestFinished', { requestId: 'b1', reason: 'length' });
    a.hooks.emit('requestFinished', { requestId: 'a2', reason: 'stop' });
    expect(a.hooks.queryCollect('exampleFinished')).toEqual(['a1', 'a2']);
    expect(b.hooks.queryCollect('exampleFinished')).toEqual(['b1']);

    expect(a.hooks.emit('requestAdmitted', { requestId: 'fine', promptTokens: 5 })).toEqual([]);
    const failures = a.hooks.emit('requestAdmitted', { requestId: 'empty', promptTokens: 0 });
    expect(failures).toHaveLength(1);
    expect(failures[0]).toBeInstanceOf(HookHandlerError);
    expect(failures[0]).toMatchObject({ owner: "plugin 'example'", event: 'requestAdmitted', requestIds: ['empty'] });
    expect(failures[0]!.message).toContain('an empty prompt cannot be scaled');
    a.dispose();
    b.dispose();
  });
});
