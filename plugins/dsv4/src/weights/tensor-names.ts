/**
 * Tensor names of a DeepSeek-V4 checkpoint in both schemes:
 *  - 'deepseek': as DeepSeek publishes them (embed.weight, layers.L.attn.wq_a, layers.L.ffn.experts.E.w1,
 *    hc_head_fn, head.weight, …; dsv4-architecture.md §3);
 *  - 'transformers': as transformers saves them (model.embed_tokens.weight, model.layers.L.self_attn.q_a_proj,
 *    stacked mlp.experts.gate_up_proj [E, 2I, H], model.hc_head.hc_fn, lm_head.weight, …).
 * Linear layers are given as prefixes (createLinear appends .weight / .scale / .weight_scale_inv itself).
 */
import { CheckpointFormatError, type TensorStore } from '@plexus/core';
import type { ExpertNaming } from '../layers/core-layers.ts';
import { DSV4_EXPERT_NAMING } from '../layers/core-layers.ts';

export type NamingScheme = 'deepseek' | 'transformers';

export interface HcNames { readonly fn: string; readonly base: string; readonly scale: string }
export interface CompressorNames { readonly wkv: string; readonly wgate: string; readonly ape: string; readonly norm: string }

export interface LayerNames {
  readonly attnNorm: string;
  readonly ffnNorm: string;
  readonly hcAttn: HcNames;
  readonly hcFfn: HcNames;
  readonly wqA: string;
  readonly qNorm: string;
  readonly wqB: string;
  readonly wkv: string;
  readonly kvNorm: string;
  readonly woA: string;
  readonly woB: string;
  readonly sink: string;
  readonly compressor: CompressorNames;
  readonly indexer: { readonly wqB: string; readonly weightsProj: string; readonly compressor: CompressorNames };
  readonly router: string;
  readonly routerBias: string;
  readonly tid2eid: string;
  readonly experts: string;
  readonly expertNaming: ExpertNaming;
  readonly shared: { readonly gate: string; readonly up: string; readonly down: string };
}

export interface Dsv4Names {
  readonly scheme: NamingScheme;
  readonly embed: string;
  readonly head: string;
  readonly finalNorm: string;
  readonly hcHead: HcNames;
  layer(index: number): LayerNames;
}

/** transformers' stacked experts: gate_up_proj [E, 2I, H] with the I gate rows first, down_proj [E, H, I] */
export const HF_DSV4_EXPERT_NAMING: ExpertNaming = { layout: 'stacked', gateUp: 'gate_up_proj', down: 'down_proj', gateUpOrder: 'concatenated' };

const DEEPSEEK: Dsv4Names = {
  scheme: 'deepseek',
  embed: 'embed.weight',
  head: 'head.weight',
  finalNorm: 'norm.weight',
  hcHead: { fn: 'hc_head_fn', base: 'hc_head_base', scale: 'hc_head_scale' },
  layer(i) {
    const p = `layers.${i}`;
    const compressor = (c: string): CompressorNames => ({ wkv: `${c}.wkv`, wgate: `${c}.wgate`, ape: `${c}.ape`, norm: `${c}.norm.weight` });
    return {
      attnNorm: `${p}.attn_norm.weight`,
      ffnNorm: `${p}.ffn_norm.weight`,
      hcAttn: { fn: `${p}.hc_attn_fn`, base: `${p}.hc_attn_base`, scale: `${p}.hc_attn_scale` },
      hcFfn: { fn: `${p}.hc_ffn_fn`, base: `${p}.hc_ffn_base`, scale: `${p}.hc_ffn_scale` },
      wqA: `${p}.attn.wq_a`,
      qNorm: `${p}.attn.q_norm.weight`,
      wqB: `${p}.attn.wq_b`,
      wkv: `${p}.attn.wkv`,
      kvNorm: `${p}.attn.kv_norm.weight`,
      woA: `${p}.attn.wo_a`,
      woB: `${p}.attn.wo_b`,
      sink: `${p}.attn.attn_sink`,
      compressor: compressor(`${p}.attn.compressor`),
      indexer: { wqB: `${p}.attn.indexer.wq_b`, weightsProj: `${p}.attn.indexer.weights_proj`, compressor: compressor(`${p}.attn.indexer.compressor`) },
      router: `${p}.ffn.gate`,
      routerBias: `${p}.ffn.gate.bias`,
      tid2eid: `${p}.ffn.gate.tid2eid`,
      experts: `${p}.ffn.experts`,
      expertNaming: DSV4_EXPERT_NAMING,
      shared: { gate: `${p}.ffn.shared_experts.w1`, up: `${p}.ffn.shared_experts.w3`, down: `${p}.ffn.shared_experts.w2` },
    };
  },
};

const TRANSFORMERS: Dsv4Names = {
  scheme: 'transformers',
  embed: 'model.embed_tokens.weight',
  head: 'lm_head.weight',
  finalNorm: 'model.norm.weight',
  hcHead: { fn: 'model.hc_head.hc_fn', base: 'model.hc_head.hc_base', scale: 'model.hc_head.hc_scale' },
  layer(i) {
    const p = `model.layers.${i}`;
    const a = `${p}.self_attn`;
    const compressor = (c: string): CompressorNames => ({ wkv: `${c}.kv_proj`, wgate: `${c}.gate_proj`, ape: `${c}.position_bias`, norm: `${c}.kv_norm.weight` });
    return {
      attnNorm: `${p}.input_layernorm.weight`,
      ffnNorm: `${p}.post_attention_layernorm.weight`,
      hcAttn: { fn: `${p}.attn_hc.fn`, base: `${p}.attn_hc.base`, scale: `${p}.attn_hc.scale` },
      hcFfn: { fn: `${p}.ffn_hc.fn`, base: `${p}.ffn_hc.base`, scale: `${p}.ffn_hc.scale` },
      wqA: `${a}.q_a_proj`,
      qNorm: `${a}.q_a_norm.weight`,
      wqB: `${a}.q_b_proj`,
      wkv: `${a}.kv_proj`,
      kvNorm: `${a}.kv_norm.weight`,
      woA: `${a}.o_a_proj`,
      woB: `${a}.o_b_proj`,
      sink: `${a}.sinks`,
      compressor: compressor(`${a}.compressor`),
      indexer: {
        wqB: `${a}.compressor.indexer.q_b_proj`,
        weightsProj: `${a}.compressor.indexer.scorer.weights_proj`,
        compressor: compressor(`${a}.compressor.indexer`),
      },
      router: `${p}.mlp.gate`,
      routerBias: `${p}.mlp.gate.e_score_correction_bias`,
      tid2eid: `${p}.mlp.gate.tid2eid`,
      experts: `${p}.mlp.experts`,
      expertNaming: HF_DSV4_EXPERT_NAMING,
      shared: { gate: `${p}.mlp.shared_experts.gate_proj`, up: `${p}.mlp.shared_experts.up_proj`, down: `${p}.mlp.shared_experts.down_proj` },
    };
  },
};

/** Picks the scheme from the embedding's name; a checkpoint with neither is rejected with both names listed. */
export function detectNaming(store: TensorStore, source: string): Dsv4Names {
  if (store.has(DEEPSEEK.embed)) return DEEPSEEK;
  if (store.has(TRANSFORMERS.embed)) return TRANSFORMERS;
  throw new CheckpointFormatError(source, `not a DeepSeek-V4 checkpoint: neither '${DEEPSEEK.embed}' (DeepSeek's names) nor '${TRANSFORMERS.embed}' ` +
    '(transformers\' names) is present; check that the directory holds the model\'s safetensors files');
}

export function namingScheme(scheme: NamingScheme): Dsv4Names {
  return scheme === 'deepseek' ? DEEPSEEK : TRANSFORMERS;
}
