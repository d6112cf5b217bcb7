/** Realistic shapes of small public models, used with random weights (nothing is downloaded). */

export interface BenchModelSpec {
  /** short name, also the cache directory name */
  name: string;
  architecture: string;
  config: Record<string, unknown>;
}

export const BENCH_MODELS: readonly BenchModelSpec[] = [
  {
    name: 'qwen2.5-0.5b',
    architecture: 'Qwen2ForCausalLM',
    config: {
      architectures: ['Qwen2ForCausalLM'],
      model_type: 'qwen2',
      hidden_size: 896,
      num_hidden_layers: 24,
      num_attention_heads: 14,
      num_key_value_heads: 2,
      intermediate_size: 4864,
      vocab_size: 151936,
      max_position_embeddings: 32768,
      rms_norm_eps: 1e-6,
      rope_theta: 1000000.0,
      hidden_act: 'silu',
      tie_word_embeddings: true,
      use_sliding_window: false,
      torch_dtype: 'bfloat16',
    },
  },
  {
    name: 'llama-3.2-1b',
    architecture: 'LlamaForCausalLM',
    config: {
      architectures: ['LlamaForCausalLM'],
      model_type: 'llama',
      hidden_size: 2048,
      num_hidden_layers: 16,
      num_attention_heads: 32,
      num_key_value_heads: 8,
      head_dim: 64,
      intermediate_size: 8192,
      vocab_size: 128256,
      max_position_embeddings: 131072,
      rms_norm_eps: 1e-5,
      rope_theta: 500000.0,
      rope_scaling: { rope_type: 'llama3', factor: 32.0, low_freq_factor: 1.0, high_freq_factor: 4.0, original_max_position_embeddings: 8192 },
      hidden_act: 'silu',
      tie_word_embeddings: true,
      attention_bias: false,
      mlp_bias: false,
      torch_dtype: 'bfloat16',
    },
  },
];

/** tensor names and shapes of a dense Llama-family checkpoint (tied: no lm_head) */
export function denseTensorLayout(config: Record<string, unknown>): Array<{ name: string; shape: number[]; kind: 'matrix' | 'norm' | 'bias' }> {
  const H = config.hidden_size as number;
  const L = config.num_hidden_layers as number;
  const nH = config.num_attention_heads as number;
  const nKv = config.num_key_value_heads as number;
  const D = (config.head_dim as number | undefined) ?? H / nH;
  const I = config.intermediate_size as number;
  const V = config.vocab_size as number;
  const qkvBias = config.model_type === 'qwen2';
  const out: Array<{ name: string; shape: number[]; kind: 'matrix' | 'norm' | 'bias' }> = [];
  out.push({ name: 'model.embed_tokens.weight', shape: [V, H], kind: 'matrix' });
  for (let i = 0; i < L; i++) {
    const p = `model.layers.${i}`;
    out.push({ name: `${p}.input_layernorm.weight`, shape: [H], kind: 'norm' });
    for (const [proj, rows] of [['q_proj', nH * D], ['k_proj', nKv * D], ['v_proj', nKv * D]] as const) {
      out.push({ name: `${p}.self_attn.${proj}.weight`, shape: [rows, H], kind: 'matrix' });
      if (qkvBias) out.push({ name: `${p}.self_attn.${proj}.bias`, shape: [rows], kind: 'bias' });
    }
    out.push({ name: `${p}.self_attn.o_proj.weight`, shape: [H, nH * D], kind: 'matrix' });
    out.push({ name: `${p}.post_attention_layernorm.weight`, shape: [H], kind: 'norm' });
    out.push({ name: `${p}.mlp.gate_proj.weight`, shape: [I, H], kind: 'matrix' });
    out.push({ name: `${p}.mlp.up_proj.weight`, shape: [I, H], kind: 'matrix' });
    out.push({ name: `${p}.mlp.down_proj.weight`, shape: [H, I], kind: 'matrix' });
  }
  out.push({ name: 'model.norm.weight', shape: [H], kind: 'norm' });
  if (!config.tie_word_embeddings) out.push({ name: 'lm_head.weight', shape: [V, H], kind: 'matrix' });
  return out;
}
