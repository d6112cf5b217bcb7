/** The bundled plugins under plugins/ are discovered by default; their manifests are read without importing them. */
import { describe, expect, it } from 'vitest';
import { createPlexus, ModelNotSupportedError, silentLogger, type PlexusOptions } from '@plexus/core';
import { manifest as llamaManifest } from '../plugins/llama/src/manifest.ts';
import { DENSE_ARCHITECTURES } from '../plugins/llama/src/model/index.ts';

function start(env: Record<string, string>, extra: PlexusOptions = {}) {
  return createPlexus({ env, logger: silentLogger(), nativeKernels: false, capabilities: { arch: 'x64', cores: 2 }, ...extra });
}

describe('bundled plugins', () => {
  it('the llama manifest lists exactly the architectures its model code builds', () => {
    expect([...llamaManifest.provides.architectures].sort()).toEqual([...DENSE_ARCHITECTURES].sort());
  });

  it('llama is discovered under plugins/ and registers all its architectures', async () => {
    const plexus = await start({});
    const llama = plexus.plugins().find((p) => p.id === 'llama');
    expect(llama).toMatchObject({ origin: 'bundled', status: 'loaded' });
    for (const arch of DENSE_ARCHITECTURES) {
      expect(plexus.models.has(arch)).toBe(true);
      expect(plexus.models.ownerOf(arch)).toBe('llama');
    }
  });

  it('with all its architectures disabled, llama is never imported and asking for one explains why', async () => {
    const imported: string[] = [];
    const plexus = await start(
      { PLEXUS_DISABLED_MODEL_ARCHS: DENSE_ARCHITECTURES.join(',') },
      { importModule: (url) => { imported.push(url); return import(url); } },
    );
    expect(plexus.plugins().find((p) => p.id === 'llama')?.status).toBe('disabled');
    expect(imported.filter((u) => u.includes('/plugins/llama/'))).toEqual([]);
    expect(() => plexus.models.get('Qwen3ForCausalLM')).toThrow(ModelNotSupportedError);
    expect(() => plexus.models.get('Qwen3ForCausalLM')).toThrow(/plugin 'llama'.*PLEXUS_DISABLED_MODEL_ARCHS/);
  });
});
