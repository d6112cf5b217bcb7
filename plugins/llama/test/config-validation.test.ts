import { describe, expect, it } from 'vitest';
import { CheckpointFormatError, Tensor } from '@plexus/core';
import { parseDenseConfig } from '../src/model/config/dense-config.ts';
import { bindDenseWeights } from '../src/model/weights/dense-weights.ts';
import { denseTensorShapes, memoryTensorStore, zeroTensors } from './support/memory-checkpoint.ts';

const base = {
  hidden_size: 64, num_hidden_layers: 3, num_attention_heads: 8, num_key_value_heads: 2,
  intermediate_size: 96, vocab_size: 128, rms_norm_eps: 1e-5, max_position_embeddings: 512,
};

function expectConfigError(config: Record<string, unknown>, field: string, arch = 'LlamaForCausalLM'): CheckpointFormatError {
  let caught: unknown;
  try { parseDenseConfig(config, arch, '/m/config.json'); } catch (e) { caught = e; }
  expect(caught).toBeInstanceOf(CheckpointFormatError);
  const err = caught as CheckpointFormatError;
  expect(err.message).toContain(`"${field}"`);
  expect(err.message).toContain('/m/config.json');
  return err;
}

describe('dense config parsing', () => {
  it('derives head_dim and defaults num_key_value_heads', () => {
    const { num_key_value_heads: _, ...noKv } = base;
    const c = parseDenseConfig(noKv, 'LlamaForCausalLM');
    expect(c.headDim).toBe(8);
    expect(c.numKvHeads).toBe(8);
    expect(c.rope).toEqual({ type: 'default', theta: 10000, rotaryDim: 8 });
    expect(c.slidingWindows).toEqual([0, 0, 0]);
    expect(c.qkvBias || c.outputBias || c.qkNorm || c.mlpBias).toBe(false);
  });

  it('takes head_dim from the config when present, else the architecture default', () => {
    expect(parseDenseConfig({ ...base, head_dim: 16 }, 'Qwen3ForCausalLM').headDim).toBe(16);
    expect(parseDenseConfig({ ...base, head_dim: null }, 'MistralForCausalLM').headDim).toBe(8);
    expect(parseDenseConfig(base, 'Qwen3ForCausalLM').headDim).toBe(128); // Qwen3Config's default
  });

  it.each([
    ['hidden_size', { hidden_size: undefined }],
    ['hidden_size', { hidden_size: 0 }],
    ['num_hidden_layers', { num_hidden_layers: 2.5 }],
    ['vocab_size', { vocab_size: '128' }],
    ['intermediate_size', { intermediate_size: null }],
    ['num_key_value_heads', { num_key_value_heads: 3 }],
    ['rms_norm_eps', { rms_norm_eps: -1 }],
    ['hidden_act', { hidden_act: 'gelu' }],
    ['head_dim', { hidden_size: 60 }],
    ['tie_word_embeddings', { tie_word_embeddings: 'yes' }],
  ])('rejects a bad %s', (field, patch) => {
    expectConfigError({ ...base, ...patch }, field);
  });

  it('rejects architectures outside the dense family', () => {
    expect(() => parseDenseConfig(base, 'GPT2LMHeadModel')).toThrow(/GPT2LMHeadModel/);
  });

  it('reads transformers-5 rope_parameters', () => {
    const c = parseDenseConfig({
      ...base,
      rope_parameters: { rope_type: 'llama3', rope_theta: 500000, factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 64 },
    }, 'LlamaForCausalLM');
    expect(c.rope).toMatchObject({ type: 'llama3', theta: 500000, factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 64 });
  });

  it('reads legacy rope_theta + rope_scaling (with "type" or "rope_type")', () => {
    expect(parseDenseConfig({ ...base, rope_theta: 1e6, rope_scaling: { type: 'linear', factor: 2 } }, 'LlamaForCausalLM').rope)
      .toMatchObject({ type: 'linear', theta: 1e6, factor: 2 });
    expect(parseDenseConfig({ ...base, rope_theta: 1e6, rope_scaling: { rope_type: 'yarn', factor: 4, original_max_position_embeddings: 128 } }, 'Qwen2ForCausalLM').rope)
      .toMatchObject({ type: 'yarn', theta: 1e6, factor: 4, originalMaxPositionEmbeddings: 128 });
    expect(parseDenseConfig({ ...base, rope_theta: 1e6, rope_scaling: null }, 'LlamaForCausalLM').rope.type).toBe('default');
  });

  it('names the missing rope field and rejects unsupported rope types', () => {
    expectConfigError({ ...base, rope_parameters: { rope_type: 'llama3', rope_theta: 1e4, factor: 8, high_freq_factor: 4, original_max_position_embeddings: 64 } }, 'rope_parameters.low_freq_factor');
    expectConfigError({ ...base, rope_scaling: { type: 'linear' } }, 'rope_scaling.factor');
    const err = expectConfigError({ ...base, rope_scaling: { type: 'dynamic', factor: 2 } }, 'rope_scaling.type');
    expect(err.message).toContain('yarn');
  });

  it('applies per-architecture attention bias and q/k norm', () => {
    const qwen2 = parseDenseConfig(base, 'Qwen2ForCausalLM');
    expect([qwen2.qkvBias, qwen2.outputBias]).toEqual([true, false]);
    const llama = parseDenseConfig({ ...base, attention_bias: true, mlp_bias: true }, 'LlamaForCausalLM');
    expect([llama.qkvBias, llama.outputBias, llama.mlpBias]).toEqual([true, true, true]);
    const mistral = parseDenseConfig({ ...base, attention_bias: true }, 'MistralForCausalLM');
    expect([mistral.qkvBias, mistral.outputBias]).toEqual([false, false]);
    expect(parseDenseConfig(base, 'Qwen3ForCausalLM').qkNorm).toBe(true);
  });

  it('resolves sliding windows like transformers', () => {
    expect(parseDenseConfig({ ...base, sliding_window: 32 }, 'MistralForCausalLM').slidingWindows).toEqual([32, 32, 32]);
    expect(parseDenseConfig({ ...base, sliding_window: null }, 'MistralForCausalLM').slidingWindows).toEqual([0, 0, 0]);
    // Qwen: only with use_sliding_window; layers from max_window_layers on, or as layer_types say
    expect(parseDenseConfig({ ...base, sliding_window: 32, max_window_layers: 1 }, 'Qwen2ForCausalLM').slidingWindows).toEqual([0, 0, 0]);
    expect(parseDenseConfig({ ...base, use_sliding_window: true, sliding_window: 32, max_window_layers: 1 }, 'Qwen2ForCausalLM').slidingWindows).toEqual([0, 32, 32]);
    expect(parseDenseConfig({ ...base, use_sliding_window: true, sliding_window: 32, layer_types: ['sliding_attention', 'full_attention', 'sliding_attention'] }, 'Qwen3ForCausalLM').slidingWindows).toEqual([32, 0, 32]);
    expect(parseDenseConfig({ ...base, sliding_window: 32 }, 'LlamaForCausalLM').slidingWindows).toEqual([0, 0, 0]);
    expectConfigError({ ...base, layer_types: ['full_attention'] }, 'layer_types', 'Qwen2ForCausalLM');
  });
});

describe('dense weight binding', () => {
  const shape = { hidden: 64, layers: 3, heads: 8, kvHeads: 2, headDim: 8, inter: 96, vocab: 128 };
  const cfg = parseDenseConfig(base, 'LlamaForCausalLM');

  it('ties lm_head to embed_tokens when lm_head.weight is absent and counts bytes read per token', () => {
    const tensors = zeroTensors(denseTensorShapes(shape));
    const w = bindDenseWeights(memoryTensorStore(tensors), cfg, '/m');
    expect(w.lmHead).toBe(w.embedding);
    expect(w.layers[1]!.q.weight).toBe(tensors.get('model.layers.1.self_attn.q_proj.weight'));
    // everything but the embedding table, plus the (tied) lm_head once
    let expected = 0;
    for (const [name, t] of tensors) if (name !== 'model.embed_tokens.weight') expected += t.byteLength;
    expected += tensors.get('model.embed_tokens.weight')!.byteLength;
    expect(w.bytesPerToken).toBe(expected);
  });

  it('uses a separate lm_head when present and untied', () => {
    const tensors = zeroTensors(denseTensorShapes({ ...shape, lmHead: true }));
    const w = bindDenseWeights(memoryTensorStore(tensors), cfg, '/m');
    expect(w.lmHead).toBe(tensors.get('lm_head.weight'));
  });

  it('names a missing or mis-shaped tensor', () => {
    const missing = zeroTensors(denseTensorShapes(shape));
    missing.delete('model.layers.2.mlp.up_proj.weight');
    expect(() => bindDenseWeights(memoryTensorStore(missing), cfg, '/m')).toThrow(/model\.layers\.2\.mlp\.up_proj\.weight/);

    const wrong = zeroTensors(denseTensorShapes(shape));
    wrong.set('model.layers.0.self_attn.k_proj.weight', Tensor.fromF32(new Float32Array(32 * 64), [32, 64]));
    expect(() => bindDenseWeights(memoryTensorStore(wrong), cfg, '/m')).toThrow(CheckpointFormatError);
    expect(() => bindDenseWeights(memoryTensorStore(wrong), cfg, '/m')).toThrow(/k_proj.*\[32, 64\].*\[16, 64\]/);
  });

  it('requires q/k/v biases for Qwen2', () => {
    const qwen2 = parseDenseConfig(base, 'Qwen2ForCausalLM');
    const noBias = zeroTensors(denseTensorShapes(shape));
    expect(() => bindDenseWeights(memoryTensorStore(noBias), qwen2, '/m')).toThrow(/q_proj\.bias/);
    const withBias = zeroTensors(denseTensorShapes({ ...shape, qkvBias: true }));
    expect(bindDenseWeights(memoryTensorStore(withBias), qwen2, '/m').layers[0]!.k.bias).toHaveLength(16);
  });
});
