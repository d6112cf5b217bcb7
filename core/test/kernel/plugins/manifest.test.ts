import { describe, expect, it } from 'vitest';
import { PluginLoadError } from '../../../src/errors.ts';
import { parseManifest } from '../../../src/kernel/plugins/manifest.ts';

const valid = { id: 'my-plugin', version: '1.0.0', coreApi: '^1', provides: { architectures: ['XForCausalLM'] } };

describe('parseManifest', () => {
  it('accepts a valid manifest and keeps optional sections', () => {
    const m = parseManifest({ ...valid, requires: { nativeFeatures: ['avx2'], plugins: ['base'] } }, 'here', 'fallback');
    expect(m).toMatchObject({ id: 'my-plugin', provides: { architectures: ['XForCausalLM'] }, requires: { nativeFeatures: ['avx2'], plugins: ['base'] } });
  });

  const broken: Array<[string, unknown, RegExp]> = [
    ['missing id', { ...valid, id: undefined }, /id/],
    ['bad id', { ...valid, id: 'My Plugin' }, /id must be lowercase/],
    ['missing coreApi', { ...valid, coreApi: undefined }, /coreApi/],
    ['missing provides', { ...valid, provides: undefined }, /provides/],
    ['provides not a list', { ...valid, provides: { architectures: 'XForCausalLM' } }, /provides\.architectures/],
    ['not an object', 'nope', /manifest/],
  ];
  for (const [name, raw, message] of broken) {
    it(`rejects ${name} with a PluginLoadError naming the field`, () => {
      const err = (() => { try { parseManifest(raw, 'package x (/p)', 'fallback-id'); } catch (e) { return e as PluginLoadError; } })();
      expect(err).toBeInstanceOf(PluginLoadError);
      expect(err!.pluginId).toBe('fallback-id');
      expect(err!.message).toContain('package x (/p)');
      expect(err!.message).toMatch(message);
    });
  }
});
