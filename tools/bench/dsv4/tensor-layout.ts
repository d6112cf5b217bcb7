/**
 * Every tensor of the benchmark checkpoint, in DeepSeek's names, dtypes and shapes (dsv4-architecture.md §3):
 * FP8-block linears with E8M0 scales, BF16 compressor / indexer-scorer / router / embedding / head weights,
 * F32 hyper-connection and sink tensors, I8-packed FP4 experts with E8M0 scales per 32. With BF16 experts
 * the whole checkpoint is BF16 (no quantization_config).
 */
import type { DType } from '@plexus/native';
import { DSV4_BENCH_SHAPE, type ExpertFormat } from './bench-config.ts';

/** how the writer fills a tensor */
export type FillKind = 'ones' | 'bf16' | 'f32' | 'f32-ones' | 'fp8' | 'fp8-scale' | 'fp4' | 'fp4-scale' | 'tid2eid';

export interface LayoutTensor {
  name: string;
  dtype: DType;
  shape: number[];
  fill: FillKind;
  /** routed expert weights: only topK of them are read per token */
  routedExpert: boolean;
}

export function dsv4TensorLayout(experts: ExpertFormat): LayoutTensor[] {
  const s = DSV4_BENCH_SHAPE, D = s.hidden, F = s.moeIntermediate;
  const fp8 = experts === 'mxfp4';
  const out: LayoutTensor[] = [];
  const add = (name: string, dtype: DType, shape: number[], fill: FillKind, routedExpert = false) => out.push({ name, dtype, shape, fill, routedExpert });
  const linear = (name: string, rows: number, cols: number) => {
    if (!fp8) return add(`${name}.weight`, 'BF16', [rows, cols], 'bf16');
    add(`${name}.weight`, 'F8_E4M3', [rows, cols], 'fp8');
    add(`${name}.scale`, 'F8_E8M0', [Math.ceil(rows / 128), Math.ceil(cols / 128)], 'fp8-scale');
  };
  const expert = (name: string, rows: number, cols: number) => {
    if (!fp8) return add(`${name}.weight`, 'BF16', [rows, cols], 'bf16', true);
    add(`${name}.weight`, 'I8', [rows, cols / 2], 'fp4', true);
    add(`${name}.scale`, 'F8_E8M0', [rows, cols / 32], 'fp4-scale', true);
  };
  const hc = (prefix: string, mixes: number, scales: number) => {
    add(`${prefix}_fn`, 'F32', [mixes, s.hcMult * D], 'f32');
    add(`${prefix}_base`, 'F32', [mixes], 'f32');
    add(`${prefix}_scale`, 'F32', [scales], 'f32-ones');
  };
  const compressor = (prefix: string, dim: number, ratio: number) => {
    const width = (ratio === 4 ? 2 : 1) * dim;
    add(`${prefix}.ape`, 'F32', [ratio, width], 'f32');
    add(`${prefix}.norm.weight`, 'BF16', [dim], 'ones');
    add(`${prefix}.wkv.weight`, 'BF16', [width, D], 'bf16');
    add(`${prefix}.wgate.weight`, 'BF16', [width, D], 'bf16');
  };

  add('embed.weight', 'BF16', [s.vocab, D], 'bf16');
  add('head.weight', 'BF16', [s.vocab, D], 'bf16');
  add('norm.weight', 'BF16', [D], 'ones');
  hc('hc_head', s.hcMult, 1);
  for (let l = 0; l < s.layers; l++) {
    const p = `layers.${l}`, ratio = s.compressRatios[l]!;
    add(`${p}.attn_norm.weight`, 'BF16', [D], 'ones');
    add(`${p}.ffn_norm.weight`, 'BF16', [D], 'ones');
    hc(`${p}.hc_attn`, (2 + s.hcMult) * s.hcMult, 3);
    hc(`${p}.hc_ffn`, (2 + s.hcMult) * s.hcMult, 3);
    add(`${p}.attn.attn_sink`, 'F32', [s.heads], 'f32');
    add(`${p}.attn.q_norm.weight`, 'BF16', [s.qLoraRank], 'ones');
    add(`${p}.attn.kv_norm.weight`, 'BF16', [s.headDim], 'ones');
    linear(`${p}.attn.wq_a`, s.qLoraRank, D);
    linear(`${p}.attn.wq_b`, s.heads * s.headDim, s.qLoraRank);
    linear(`${p}.attn.wkv`, s.headDim, D);
    linear(`${p}.attn.wo_a`, s.oGroups * s.oLoraRank, (s.heads * s.headDim) / s.oGroups);
    linear(`${p}.attn.wo_b`, D, s.oGroups * s.oLoraRank);
    if (ratio > 0) compressor(`${p}.attn.compressor`, s.headDim, ratio);
    if (ratio === 4) {
      compressor(`${p}.attn.indexer.compressor`, s.indexHeadDim, ratio);
      add(`${p}.attn.indexer.weights_proj.weight`, 'BF16', [s.indexHeads, D], 'bf16');
      linear(`${p}.attn.indexer.wq_b`, s.indexHeads * s.indexHeadDim, s.qLoraRank);
    }
    add(`${p}.ffn.gate.weight`, 'BF16', [s.experts, D], 'bf16');
    if (l < s.hashLayers) add(`${p}.ffn.gate.tid2eid`, 'I64', [s.vocab, s.topK], 'tid2eid');
    else add(`${p}.ffn.gate.bias`, 'F32', [s.experts], 'f32');
    linear(`${p}.ffn.shared_experts.w1`, F, D);
    linear(`${p}.ffn.shared_experts.w3`, F, D);
    linear(`${p}.ffn.shared_experts.w2`, D, F);
    for (let e = 0; e < s.experts; e++) {
      expert(`${p}.ffn.experts.${e}.w1`, F, D);
      expert(`${p}.ffn.experts.${e}.w3`, F, D);
      expert(`${p}.ffn.experts.${e}.w2`, D, F);
    }
  }
  return out;
}
