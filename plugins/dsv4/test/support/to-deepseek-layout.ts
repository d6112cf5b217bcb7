/**
 * Rewrites a transformers-saved DeepSeek-V4 checkpoint into DeepSeek's published layout, in memory: tensor
 * names (an explicit table, independent of the plugin's), stacked experts split per expert (views), and the
 * config keys DeepSeek ships (compress_ratios with the MTP entry, num_hash_layers, qk_rope_head_dim,
 * rope_scaling). Same weights, other spelling: a model must not tell them apart.
 */
import { DTYPE_BYTES, Tensor, type Checkpoint } from '@plexus/core';
import { memoryCheckpoint } from './memory-store.ts';

const TOP: Record<string, string> = {
  'model.embed_tokens.weight': 'embed.weight', 'lm_head.weight': 'head.weight', 'model.norm.weight': 'norm.weight',
  'model.hc_head.hc_fn': 'hc_head_fn', 'model.hc_head.hc_base': 'hc_head_base', 'model.hc_head.hc_scale': 'hc_head_scale',
};
const IN_LAYER: Record<string, string> = {
  'input_layernorm.weight': 'attn_norm.weight', 'post_attention_layernorm.weight': 'ffn_norm.weight',
  'attn_hc.fn': 'hc_attn_fn', 'attn_hc.base': 'hc_attn_base', 'attn_hc.scale': 'hc_attn_scale',
  'ffn_hc.fn': 'hc_ffn_fn', 'ffn_hc.base': 'hc_ffn_base', 'ffn_hc.scale': 'hc_ffn_scale',
  'self_attn.q_a_proj.weight': 'attn.wq_a.weight', 'self_attn.q_a_norm.weight': 'attn.q_norm.weight',
  'self_attn.q_b_proj.weight': 'attn.wq_b.weight', 'self_attn.kv_proj.weight': 'attn.wkv.weight',
  'self_attn.kv_norm.weight': 'attn.kv_norm.weight', 'self_attn.o_a_proj.weight': 'attn.wo_a.weight',
  'self_attn.o_b_proj.weight': 'attn.wo_b.weight', 'self_attn.sinks': 'attn.attn_sink',
  'self_attn.compressor.kv_proj.weight': 'attn.compressor.wkv.weight', 'self_attn.compressor.gate_proj.weight': 'attn.compressor.wgate.weight',
  'self_attn.compressor.position_bias': 'attn.compressor.ape', 'self_attn.compressor.kv_norm.weight': 'attn.compressor.norm.weight',
  'self_attn.compressor.indexer.kv_proj.weight': 'attn.indexer.compressor.wkv.weight',
  'self_attn.compressor.indexer.gate_proj.weight': 'attn.indexer.compressor.wgate.weight',
  'self_attn.compressor.indexer.position_bias': 'attn.indexer.compressor.ape',
  'self_attn.compressor.indexer.kv_norm.weight': 'attn.indexer.compressor.norm.weight',
  'self_attn.compressor.indexer.q_b_proj.weight': 'attn.indexer.wq_b.weight',
  'self_attn.compressor.indexer.scorer.weights_proj.weight': 'attn.indexer.weights_proj.weight',
  'mlp.gate.weight': 'ffn.gate.weight', 'mlp.gate.e_score_correction_bias': 'ffn.gate.bias', 'mlp.gate.tid2eid': 'ffn.gate.tid2eid',
  'mlp.shared_experts.gate_proj.weight': 'ffn.shared_experts.w1.weight', 'mlp.shared_experts.up_proj.weight': 'ffn.shared_experts.w3.weight',
  'mlp.shared_experts.down_proj.weight': 'ffn.shared_experts.w2.weight',
};

export function toDeepseekLayout(hf: Checkpoint): Checkpoint {
  const out = new Map<string, Tensor>();
  for (const name of hf.tensors.names()) {
    const t = hf.tensors.get(name);
    if (TOP[name]) { out.set(TOP[name], t); continue; }
    const m = /^model\.layers\.(\d+)\.(.+)$/.exec(name);
    if (!m) throw new Error(`unexpected tensor ${name}`);
    const [, layer, rest] = m as unknown as [string, string, string];
    if (rest === 'mlp.experts.gate_up_proj' || rest === 'mlp.experts.down_proj') {
      const [E, rows, cols] = t.shape as [number, number, number];
      const matrix = (e: number, r0: number, n: number) => new Tensor(t.dtype, [n, cols], t.buffer, t.byteOffset + (e * rows + r0) * cols * DTYPE_BYTES[t.dtype]);
      for (let e = 0; e < E; e++) {
        const p = `layers.${layer}.ffn.experts.${e}`;
        if (rest.endsWith('gate_up_proj')) {
          out.set(`${p}.w1.weight`, matrix(e, 0, rows / 2));
          out.set(`${p}.w3.weight`, matrix(e, rows / 2, rows / 2));
        } else out.set(`${p}.w2.weight`, matrix(e, 0, rows));
      }
      continue;
    }
    if (!IN_LAYER[rest]) throw new Error(`no DeepSeek name for ${name}`);
    out.set(`layers.${layer}.${IN_LAYER[rest]}`, t);
  }
  return memoryCheckpoint(deepseekConfig(hf.config), out);
}

export function deepseekConfig(hf: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const { layer_types, compress_rates, mlp_layer_types, rope_parameters, partial_rotary_factor, qk_rope_head_dim, ...rest } = hf as Record<string, unknown>;
  const rates = compress_rates as Record<string, number>;
  const ratio = (t: unknown) => (t === 'sliding_attention' ? 0 : t === 'compressed_sparse_attention' ? rates['compressed_sparse_attention']! : rates['heavily_compressed_attention']!);
  const { rope_theta: _theta, partial_rotary_factor: _p, attention_factor: _a, rope_type, ...yarn } = (rope_parameters as Record<string, Record<string, unknown>>)['compress']!;
  return {
    ...rest,
    compress_ratios: [...(layer_types as unknown[]).map(ratio), 0],
    num_hash_layers: (mlp_layer_types as string[]).filter((t) => t === 'hash_moe').length,
    qk_rope_head_dim: qk_rope_head_dim ?? Math.round((hf['head_dim'] as number) * (partial_rotary_factor as number)),
    rope_scaling: { type: rope_type, ...yarn },
  };
}
