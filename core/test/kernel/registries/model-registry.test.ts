import { describe, expect, it } from 'vitest';
import { ModelNotSupportedError, PluginLoadError } from '../../../src/errors.ts';
import { ModelRegistry, type ModelProvider } from '../../../src/kernel/registries/model-registry.ts';
import type { ProviderLookup } from '../../../src/kernel/registries/provider-lookup.ts';

const provider: ModelProvider = { architectures: ['LlamaForCausalLM', 'Qwen3ForCausalLM'], load: () => { throw new Error('unused'); } };

describe('ModelRegistry', () => {
  it('maps every architecture of a provider; a disposer removes them all', () => {
    const reg = new ModelRegistry();
    const dispose = reg.register(provider, 'llama');
    expect(reg.get('Qwen3ForCausalLM')).toBe(provider);
    expect(reg.architectures()).toEqual(['LlamaForCausalLM', 'Qwen3ForCausalLM']);
    expect(reg.ownerOf('LlamaForCausalLM')).toBe('llama');
    dispose();
    expect(reg.has('LlamaForCausalLM')).toBe(false);
  });

  it('a conflicting architecture rolls back the provider\'s other architectures', () => {
    const reg = new ModelRegistry();
    reg.register({ architectures: ['Qwen3ForCausalLM'], load: () => { throw new Error('x'); } }, 'other');
    expect(() => reg.register(provider, 'llama')).toThrow(/already registered by other/);
    expect(reg.has('LlamaForCausalLM')).toBe(false);
  });

  it('a failed provider → ModelNotSupportedError naming the plugin and carrying the cause', () => {
    const cause = new PluginLoadError('dsv4', "plugin 'dsv4' failed to import: flashinfer >= 9.9 required");
    const providers: ProviderLookup = (_k, name) => (name === 'DeepseekV4ForCausalLM' ? { pluginId: 'dsv4', status: 'failed', cause } : undefined);
    const reg = new ModelRegistry({ providers });
    reg.register(provider, 'llama');
    const err = (() => { try { reg.get('DeepseekV4ForCausalLM'); } catch (e) { return e as ModelNotSupportedError; } })();
    expect(err).toBeInstanceOf(ModelNotSupportedError);
    expect(err!.message).toContain("plugin 'dsv4'");
    expect(err!.message).toContain('flashinfer >= 9.9 required');
    expect(err!.cause).toBe(cause);
    // unrelated models are unaffected
    expect(reg.get('LlamaForCausalLM')).toBe(provider);
  });

  it('a disabled architecture and an unknown one are explained', () => {
    const reg = new ModelRegistry({ disabledArchitectures: ['Qwen3ForCausalLM'] });
    reg.register(provider, 'llama');
    expect(() => reg.get('Qwen3ForCausalLM')).toThrow(/plugin 'llama'.*disabled by PLEXUS_DISABLED_MODEL_ARCHS/);
    expect(reg.architectures()).toEqual(['LlamaForCausalLM']);
    expect(() => reg.get('GPT2LMHeadModel')).toThrow(/not supported \(supported: LlamaForCausalLM\)/);
  });
});
