/**
 * The llama plugin's manifest. The loader reads this module (exports["./manifest"]) without importing the
 * plugin's entry, so disabling every architecture below keeps the model code from ever running.
 */
import type { PluginManifest } from '@plexus/core';

export const LLAMA_ARCHITECTURES = ['LlamaForCausalLM', 'MistralForCausalLM', 'Qwen2ForCausalLM', 'Qwen3ForCausalLM'] as const;

export const manifest = {
  id: 'llama',
  version: '0.1.0',
  coreApi: '^1',
  description: 'Dense Llama / Mistral / Qwen2 / Qwen3 decoders',
  provides: { architectures: [...LLAMA_ARCHITECTURES] },
} satisfies PluginManifest;

export default manifest;
