/**
 * The benchmark's DeepSeek-V4 shape: V4-Flash (dsv4-architecture.md §1) scaled down to fit a workstation —
 * hidden 2048, 8 layers (sliding, then alternating CSA ratio 4 and HCA ratio 128), 32 heads of 512, 64
 * routed experts (6 active) + 1 shared. Config keys and tensor names as DeepSeek ships them; dense weights
 * FP8-block with E8M0 scales and MXFP4 experts (or, when the mxfp4 plugin is unavailable, all BF16).
 */

export type ExpertFormat = 'mxfp4' | 'bf16';

export const DSV4_BENCH_SHAPE = {
  vocab: 32768,
  hidden: 2048,
  layers: 8,
  heads: 32,
  headDim: 512,
  ropeDim: 64,
  qLoraRank: 512,
  oGroups: 4,
  oLoraRank: 512,
  window: 128,
  /** one per layer, plus the MTP layer's (as shipped) */
  compressRatios: [0, 4, 128, 4, 128, 4, 128, 4, 0],
  indexHeads: 32,
  indexHeadDim: 128,
  indexTopK: 64,
  experts: 64,
  topK: 6,
  moeIntermediate: 1024,
  hashLayers: 2,
  hcMult: 4,
} as const;

export function dsv4BenchConfig(experts: ExpertFormat): Record<string, unknown> {
  const s = DSV4_BENCH_SHAPE;
  return {
    architectures: ['DeepseekV4ForCausalLM'],
    model_type: 'deepseek_v4',
    vocab_size: s.vocab,
    hidden_size: s.hidden,
    num_hidden_layers: s.layers,
    num_nextn_predict_layers: 1,
    num_attention_heads: s.heads,
    num_key_value_heads: 1,
    head_dim: s.headDim,
    qk_rope_head_dim: s.ropeDim,
    q_lora_rank: s.qLoraRank,
    o_groups: s.oGroups,
    o_lora_rank: s.oLoraRank,
    sliding_window: s.window,
    compress_ratios: [...s.compressRatios],
    rope_theta: 10000.0,
    compress_rope_theta: 160000.0,
    rope_scaling: { type: 'yarn', factor: 16.0, original_max_position_embeddings: 65536, beta_fast: 32.0, beta_slow: 1.0 },
    max_position_embeddings: 1048576,
    index_n_heads: s.indexHeads,
    index_head_dim: s.indexHeadDim,
    index_topk: s.indexTopK,
    n_routed_experts: s.experts,
    n_shared_experts: 1,
    num_experts_per_tok: s.topK,
    moe_intermediate_size: s.moeIntermediate,
    num_hash_layers: s.hashLayers,
    scoring_func: 'sqrtsoftplus',
    topk_method: 'noaux_tc',
    norm_topk_prob: true,
    routed_scaling_factor: 1.5,
    swiglu_limit: 10.0,
    hidden_act: 'silu',
    hc_mult: s.hcMult,
    hc_sinkhorn_iters: 20,
    hc_eps: 1e-6,
    rms_norm_eps: 1e-6,
    attention_bias: false,
    tie_word_embeddings: false,
    bos_token_id: 0,
    eos_token_id: 1,
    torch_dtype: 'bfloat16',
    ...(experts === 'mxfp4' ? {
      expert_dtype: 'fp4',
      quantization_config: { quant_method: 'fp8', fmt: 'e4m3', scale_fmt: 'ue8m0', weight_block_size: [128, 128], activation_scheme: 'dynamic' },
    } : {}),
  };
}
