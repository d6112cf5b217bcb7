/**
 * Isolation: with DeepseekV4ForCausalLM disabled, the runtime never imports this plugin's entry (the
 * manifest alone says what it provides), other models stay available, and a DeepSeek-V4 checkpoint gets an
 * error saying the architecture is disabled and how to enable it.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createPlexus, ModelNotSupportedError, silentLogger } from '@plexus/core';
import { loadCheckpoint } from '@plexus/core/internal';
import { fixtureDir } from './support/fixtures.ts';

const PLUGINS_DIR = fileURLToPath(new URL('../../', import.meta.url));
const DSV4_ENTRY = fileURLToPath(new URL('../src/index.ts', import.meta.url));

describe('dsv4 plugin isolation', () => {
  it('a disabled architecture keeps every dsv4 module out, and its checkpoints get a clear error', async () => {
    const imported: string[] = [];
    const plexus = await createPlexus({
      bundledPluginsDir: PLUGINS_DIR,
      env: { PLEXUS_DISABLED_MODEL_ARCHS: 'DeepseekV4ForCausalLM' },
      logger: silentLogger(),
      importModule: (url) => {
        imported.push(fileURLToPath(url));
        return import(url);
      },
    });
    try {
      expect(imported).not.toContain(DSV4_ENTRY);
      expect(imported.some((p) => p.includes('/plugins/dsv4/'))).toBe(false);
      expect(plexus.models.has('LlamaForCausalLM')).toBe(true);
      expect(plexus.kvPools.ids()).not.toContain('dsv4.v4-cache');
      // its parsers are explained, not silently missing
      expect(() => plexus.text.get('reasoningParser', 'deepseek_v4')).toThrow(/dsv4.*disabled/);
      const checkpoint = await loadCheckpoint(fixtureDir('dsv4-hf-c16'));
      const attempt = plexus.loadModel(checkpoint);
      await expect(attempt).rejects.toBeInstanceOf(ModelNotSupportedError);
      await expect(attempt).rejects.toThrow(/DeepseekV4ForCausalLM.*disabled by PLEXUS_DISABLED_MODEL_ARCHS/);
      checkpoint.tensors.close();
    } finally {
      plexus.dispose();
    }
  });

  it('enabled, the plugin registers the architecture, the V4 pool and its kernel rows', async () => {
    const plexus = await createPlexus({ bundledPluginsDir: PLUGINS_DIR, env: {}, logger: silentLogger() });
    try {
      expect(plexus.plugins().find((p) => p.manifest?.id === 'dsv4')?.status).toBe('loaded');
      expect(plexus.models.has('DeepseekV4ForCausalLM')).toBe(true);
      expect(plexus.kvPools.ids()).toContain('dsv4.v4-cache');
      expect(plexus.kernels.rows('dsv4SparseAttention').map((r) => r.id)).toEqual(['dsv4SparseAttention.avx2', 'dsv4SparseAttention.portable', 'dsv4SparseAttention.ts.portable']);
      expect(plexus.text.has('reasoningParser', 'deepseek_v4')).toBe(true);
      expect(plexus.text.has('toolCallParser', 'deepseek_v4')).toBe(true);
      expect(plexus.text.defaultChatEncoder('DeepseekV4ForCausalLM')).toBeDefined();
    } finally {
      plexus.dispose();
    }
  });
});
