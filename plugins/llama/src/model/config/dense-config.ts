/**
 * The dense decoder config shared by LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM and
 * Qwen3ForCausalLM, parsed and validated once. Per-architecture differences (attention bias, q/k norm,
 * sliding-window rules) are resolved here so the forward pass only reads flags.
 */
import { CheckpointFormatError, ConfigReader, type RawConfig } from '@plexus/core';
import { parseRopeConfig, type RopeConfig } from './rope-config.ts';
import { parseSlidingWindows } from './sliding-window.ts';

export const DENSE_ARCHITECTURES = ['LlamaForCausalLM', 'MistralForCausalLM', 'Qwen2ForCausalLM', 'Qwen3ForCausalLM'] as const;
export type DenseArchitecture = (typeof DENSE_ARCHITECTURES)[number];

export interface DenseConfig {
  architecture: DenseArchitecture;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  intermediateSize: number;
  vocabSize: number;
  rmsNormEps: number;
  maxPositionEmbeddings: number;
  /** lm_head reuses embed_tokens (also when the checkpoint simply has no lm_head.weight) */
  tieWordEmbeddings: boolean;
  /** q/k/v projections carry a bias */
  qkvBias: boolean;
  /** o_proj carries a bias */
  outputBias: boolean;
  /** gate/up/down carry a bias (Llama `mlp_bias`) */
  mlpBias: boolean;
  /** per-head RMSNorm of q and k before RoPE (Qwen3) */
  qkNorm: boolean;
  rope: RopeConfig;
  /** per layer: keys older than this many positions are not attended; 0 = full attention */
  slidingWindows: number[];
}

const ACTIVATIONS = new Set(['silu', 'swish']);

/** transformers' config-class defaults where config.json may omit a field */
const DEFAULT_MAX_POSITIONS: Record<DenseArchitecture, number> = {
  LlamaForCausalLM: 2048, MistralForCausalLM: 4096 * 32, Qwen2ForCausalLM: 32768, Qwen3ForCausalLM: 32768,
};
/** Qwen3Config defaults head_dim to 128; the others derive hidden_size / num_attention_heads */
const DEFAULT_HEAD_DIM: Partial<Record<DenseArchitecture, number>> = { Qwen3ForCausalLM: 128 };

export function parseDenseConfig(raw: RawConfig, architecture: string, file = 'config.json'): DenseConfig {
  if (!(DENSE_ARCHITECTURES as readonly string[]).includes(architecture)) {
    throw new CheckpointFormatError(file, `architecture "${architecture}" is not a dense Llama-family model (expected one of ${DENSE_ARCHITECTURES.join(', ')})`);
  }
  const arch = architecture as DenseArchitecture;
  const cfg = new ConfigReader(file, raw);

  const hiddenSize = cfg.int('hidden_size');
  const numLayers = cfg.int('num_hidden_layers');
  const numHeads = cfg.int('num_attention_heads');
  const numKvHeads = cfg.int('num_key_value_heads', { default: numHeads });
  if (numHeads % numKvHeads !== 0) {
    cfg.fail('num_key_value_heads', `(${numKvHeads}) must divide num_attention_heads (${numHeads})`);
  }
  const headDim = cfg.has('head_dim') ? cfg.int('head_dim') : DEFAULT_HEAD_DIM[arch] ?? derivedHeadDim(cfg, hiddenSize, numHeads);

  const act = cfg.string('hidden_act', 'silu');
  if (!ACTIVATIONS.has(act)) cfg.fail('hidden_act', `is "${act}"; this plugin implements the SwiGLU MLP only ("silu")`);

  // Qwen2 always has q/k/v bias and never an o_proj bias; Mistral never has any; Llama and Qwen3 follow
  // `attention_bias` for all four projections
  const attentionBias = arch !== 'MistralForCausalLM' && cfg.bool('attention_bias', false);
  const qkvBias = arch === 'Qwen2ForCausalLM' ? true : attentionBias;
  const outputBias = arch === 'Qwen2ForCausalLM' ? false : attentionBias;

  return {
    architecture: arch,
    hiddenSize,
    numLayers,
    numHeads,
    numKvHeads,
    headDim,
    intermediateSize: cfg.int('intermediate_size'),
    vocabSize: cfg.int('vocab_size'),
    rmsNormEps: cfg.number('rms_norm_eps', { default: 1e-6, positive: true }),
    maxPositionEmbeddings: cfg.int('max_position_embeddings', { default: DEFAULT_MAX_POSITIONS[arch] }),
    tieWordEmbeddings: cfg.bool('tie_word_embeddings', false),
    qkvBias,
    outputBias,
    mlpBias: arch === 'LlamaForCausalLM' ? cfg.bool('mlp_bias', false) : false,
    qkNorm: arch === 'Qwen3ForCausalLM',
    rope: parseRopeConfig(cfg, headDim),
    slidingWindows: parseSlidingWindows(cfg, arch, numLayers),
  };
}

function derivedHeadDim(cfg: ConfigReader, hiddenSize: number, numHeads: number): number {
  if (hiddenSize % numHeads !== 0) {
    cfg.fail('head_dim', `is absent and hidden_size (${hiddenSize}) is not divisible by num_attention_heads (${numHeads}); set head_dim`);
  }
  return hiddenSize / numHeads;
}
