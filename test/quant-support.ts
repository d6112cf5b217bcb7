/**
 * A tiny test-only MoE language model built from the core's generic layers (createLinear, createMoe)
 * through the registries, and its checkpoint: FP8 block-scaled dense weights + MXFP4 experts, or the
 * dequantized twin (the same values in F32). The model has no attention (position-independent mixer), which
 * is all these tests need: every weight kind the quant layers handle sits on the path to the logits.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Tensor } from '@plexus/native';
import type { QuantBuildContext } from '../core/src/quant/linear.ts';
import { createLinear } from '../core/src/quant/create-linear.ts';
import { createMoe, type MoeLayer } from '../core/src/moe/moe-layer.ts';
import { moeConfigFromHf } from '../core/src/moe/moe-config.ts';
import { DSV4_EXPERT_NAMING } from '../core/src/moe/experts-method.ts';
import type { ProviderLookup } from '../core/src/kernel/registries/provider-lookup.ts';
import type { TensorStore } from '../core/src/model/types.ts';
import { writeSafetensorsSync, type TensorToWrite } from '../core/src/model/safetensors/writer.ts';
import { bf16Bytes, fp8Matrix, mxfp4Matrix, randomF32 } from '../core/test/quant/support.ts';

export const TINY = { vocab: 80, hidden: 96, layers: 2, experts: 6, topK: 2, inter: 64, block: [64, 64] as [number, number] };

export const TINY_CONFIG = {
  architectures: ['TinyMoeForTest'],
  vocab_size: TINY.vocab,
  hidden_size: TINY.hidden,
  num_hidden_layers: TINY.layers,
  rms_norm_eps: 1e-6,
  n_routed_experts: TINY.experts,
  num_experts_per_tok: TINY.topK,
  moe_intermediate_size: TINY.inter,
  n_shared_experts: 1,
  scoring_func: 'sqrtsoftplus',
  norm_topk_prob: true,
  routed_scaling_factor: 1.5,
  swiglu_limit: 1.0,
  expert_dtype: 'fp4',
  quantization_config: { quant_method: 'fp8', fmt: 'e4m3', scale_fmt: 'ue8m0', weight_block_size: TINY.block, activation_scheme: 'dynamic' },
};

const f32 = (v: Float32Array, shape: number[]): TensorToWrite => ({ dtype: 'F32', shape, data: new Uint8Array(v.buffer, v.byteOffset, v.byteLength) });

export interface TinyCheckpoints {
  /** FP8 dense weights + MXFP4 experts */
  quantized: string;
  /** the same values, every weight F32 */
  twin: string;
  /** FP8 dense weights + F32 experts (needs no plugin) */
  fp8Dense: string;
  dir: string;
}

/** Writes the three checkpoints; `mutate` may corrupt the quantized one's tensors. */
export function writeTinyCheckpoints(seed = 1, mutate?: (t: Record<string, TensorToWrite>) => void): TinyCheckpoints {
  const { vocab: V, hidden: H, layers: L, experts: E, inter: I, block } = TINY;
  const q: Record<string, TensorToWrite> = {}, d: Record<string, TensorToWrite> = {}, f: Record<string, TensorToWrite> = {};
  const both = (name: string, t: TensorToWrite) => { q[name] = t; d[name] = t; f[name] = t; };
  const fp8 = (name: string, N: number, K: number, s: number) => {
    const m = fp8Matrix(N, K, block, s, [119, 122]);
    q[`${name}.weight`] = f[`${name}.weight`] = { dtype: 'F8_E4M3', shape: [N, K], data: m.weight };
    q[`${name}.scale`] = f[`${name}.scale`] = { dtype: 'F8_E8M0', shape: m.scaleShape, data: m.scale };
    d[`${name}.weight`] = f32(m.dense, [N, K]);
  };
  both('embed.weight', f32(randomF32(V * H, seed, 1), [V, H]));
  for (let l = 0; l < L; l++) {
    const p = `layers.${l}`, s = seed + 1000 * (l + 1);
    both(`${p}.attn_norm.weight`, f32(randomF32(H, s, 0.2).map((v) => 1 + v), [H]));
    both(`${p}.ffn_norm.weight`, f32(randomF32(H, s + 1, 0.2).map((v) => 1 + v), [H]));
    fp8(`${p}.attn.wq`, H, H, s + 2);
    fp8(`${p}.attn.wo`, H, H, s + 3);
    both(`${p}.ffn.gate.weight`, { dtype: 'BF16', shape: [E, H], data: bf16Bytes(randomF32(E * H, s + 4, 0.3)) });
    both(`${p}.ffn.gate.bias`, f32(randomF32(E, s + 5, 0.1), [E]));
    for (let e = 0; e < E; e++) {
      for (const [w, rows, cols] of [['w1', I, H], ['w3', I, H], ['w2', H, I]] as const) {
        const m = mxfp4Matrix(rows, cols, s + 100 + 10 * e + rows, [120, 122]);
        const name = `${p}.ffn.experts.${e}.${w}`;
        q[`${name}.weight`] = { dtype: 'I8', shape: [rows, cols / 2], data: m.codes };
        q[`${name}.scale`] = { dtype: 'F8_E8M0', shape: [rows, cols / 32], data: m.scales };
        d[`${name}.weight`] = f[`${name}.weight`] = f32(m.dense, [rows, cols]);
      }
    }
    fp8(`${p}.ffn.shared_experts.w1`, I, H, s + 6);
    fp8(`${p}.ffn.shared_experts.w3`, I, H, s + 7);
    fp8(`${p}.ffn.shared_experts.w2`, H, I, s + 8);
  }
  both('norm.weight', f32(new Float32Array(H).fill(1), [H]));
  fp8('head', V, H, seed + 7);
  mutate?.(q);

  const dir = mkdtempSync(path.join(tmpdir(), 'plexus-quant-'));
  const write = (file: string, tensors: Record<string, TensorToWrite>) => {
    const at = path.join(dir, file);
    writeSafetensorsSync(at, tensors);
    return at;
  };
  return { quantized: write('quantized.safetensors', q), twin: write('twin.safetensors', d), fp8Dense: write('fp8-dense.safetensors', f), dir };
}

export interface TinyMoeModel {
  /** logits [T, vocab] */
  forward(tokens: Int32Array): Float32Array;
  readonly moe: readonly MoeLayer[];
  readonly weightBytesPerToken: number;
}

/** The model definition: RMSNorm → FP8 mixer (wo · wq) → residual → RMSNorm → MoE → residual; norm → head. */
export function buildTinyMoe(store: TensorStore, config: Record<string, unknown>, ctx: QuantBuildContext, providers?: ProviderLookup): TinyMoeModel {
  const { vocab: V, hidden: H, layers: L } = TINY;
  const hf = moeConfigFromHf(config);
  const linear = (name: string, shape: [number, number]) => createLinear(store, name, config, ctx, { shape, source: 'tiny-moe' });
  const vec = (name: string) => store.get(name);
  const layers = Array.from({ length: L }, (_, l) => {
    const p = `layers.${l}`;
    return {
      attnNorm: vec(`${p}.attn_norm.weight`), ffnNorm: vec(`${p}.ffn_norm.weight`),
      wq: linear(`${p}.attn.wq`, [H, H]), wo: linear(`${p}.attn.wo`, [H, H]),
      moe: createMoe(store, {
        router: `${p}.ffn.gate`, selectionBias: `${p}.ffn.gate.bias`, experts: `${p}.ffn.experts`, naming: DSV4_EXPERT_NAMING,
        hiddenSize: H, intermediateSize: hf.intermediateSize, routing: hf.routing, activation: hf.activation,
        shared: { gate: `${p}.ffn.shared_experts.w1`, up: `${p}.ffn.shared_experts.w3`, down: `${p}.ffn.shared_experts.w2`, intermediateSize: hf.sharedIntermediateSize! },
      }, config, ctx, { source: 'tiny-moe', ...(providers ? { providers } : {}) }),
    };
  });
  const head = linear('head', [V, H]);
  const embed = vec('embed.weight'), norm = vec('norm.weight');
  const ops = ctx.ops;
  return {
    moe: layers.map((l) => l.moe),
    weightBytesPerToken: head.weightBytes + layers.reduce((s, l) => s + l.wq.weightBytes + l.wo.weightBytes + l.moe.weightBytesPerToken, 0),
    forward(tokens) {
      const T = tokens.length;
      const x = new Float32Array(T * H), n = new Float32Array(T * H), a = new Float32Array(T * H), b = new Float32Array(T * H);
      ops.embedding(x, embed, tokens);
      for (const l of layers) {
        ops.rmsnorm(n, x, l.attnNorm, T, H, 1e-6);
        l.wq.forward(a, n, T);
        l.wo.forward(b, a, T);
        for (let i = 0; i < x.length; i++) x[i]! += b[i]!;
        ops.rmsnorm(n, x, l.ffnNorm, T, H, 1e-6);
        l.moe.forward(b, n, T);
        for (let i = 0; i < x.length; i++) x[i]! += b[i]!;
      }
      ops.rmsnorm(n, x, norm, T, H, 1e-6);
      const logits = new Float32Array(T * V);
      head.forward(logits, n, T);
      return logits;
    },
  };
}

/** token ids long enough that every expert of every layer gets several tokens (prefill) */
export function tinyPrompt(T: number, seed = 3): Int32Array {
  return Int32Array.from({ length: T }, (_, i) => (i * 37 + seed * 11) % TINY.vocab);
}

export { Tensor };
