/**
 * Maps HF tensor names of a dense Llama-family checkpoint to typed per-layer weights, checking every
 * shape and dtype up front. Weight matrices stay the checkpoint's own (mmapped) tensors: nothing is
 * converted or copied, so resident memory stays at the file size.
 */
import { CheckpointFormatError, type Tensor, type TensorStore } from '@plexus/core';
import type { DenseConfig } from '../config/dense-config.ts';
import { toF32Vector } from './f32-vector.ts';

/** dtypes the matmul / embedding / rmsnorm kernels read in place */
const FLOAT_DTYPES = new Set(['F32', 'BF16', 'F16']);

export interface Linear {
  weight: Tensor;
  bias?: Float32Array;
}

export interface DenseLayerWeights {
  inputNorm: Tensor;
  q: Linear;
  k: Linear;
  v: Linear;
  o: Linear;
  qNorm?: Tensor;
  kNorm?: Tensor;
  postAttentionNorm: Tensor;
  gate: Linear;
  up: Linear;
  down: Linear;
}

export interface DenseWeights {
  embedding: Tensor;
  layers: DenseLayerWeights[];
  finalNorm: Tensor;
  /** embed_tokens itself when tied */
  lmHead: Tensor;
  /** bytes of weights a decode step reads (every layer matrix, norms, biases, final norm, lm_head) */
  bytesPerToken: number;
}

export function bindDenseWeights(store: TensorStore, cfg: DenseConfig, file: string): DenseWeights {
  const { hiddenSize: H, headDim: D, numHeads, numKvHeads, intermediateSize: I, vocabSize: V } = cfg;
  let bytesPerToken = 0;

  const tensor = (name: string, shape: number[]): Tensor => {
    if (!store.has(name)) throw new CheckpointFormatError(file, `missing tensor (expected shape [${shape.join(', ')}])`, name);
    const t = store.get(name);
    if (!FLOAT_DTYPES.has(t.dtype)) throw new CheckpointFormatError(file, `dtype ${t.dtype} is not supported here (F32, BF16 or F16)`, name);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new CheckpointFormatError(file, `shape [${t.shape.join(', ')}] does not match config.json (expected [${shape.join(', ')}])`, name);
    }
    if (!t.isContiguous) throw new CheckpointFormatError(file, 'tensor is not contiguous', name);
    return t;
  };
  const read = (name: string, shape: number[]): Tensor => {
    const t = tensor(name, shape);
    bytesPerToken += t.byteLength;
    return t;
  };
  const linear = (prefix: string, out: number, inp: number, withBias: boolean): Linear => {
    const weight = read(`${prefix}.weight`, [out, inp]);
    return withBias ? { weight, bias: toF32Vector(read(`${prefix}.bias`, [out])) } : { weight };
  };

  const layers: DenseLayerWeights[] = [];
  for (let i = 0; i < cfg.numLayers; i++) {
    const p = `model.layers.${i}`;
    layers.push({
      inputNorm: read(`${p}.input_layernorm.weight`, [H]),
      q: linear(`${p}.self_attn.q_proj`, numHeads * D, H, cfg.qkvBias),
      k: linear(`${p}.self_attn.k_proj`, numKvHeads * D, H, cfg.qkvBias),
      v: linear(`${p}.self_attn.v_proj`, numKvHeads * D, H, cfg.qkvBias),
      o: linear(`${p}.self_attn.o_proj`, H, numHeads * D, cfg.outputBias),
      ...(cfg.qkNorm ? { qNorm: read(`${p}.self_attn.q_norm.weight`, [D]), kNorm: read(`${p}.self_attn.k_norm.weight`, [D]) } : {}),
      postAttentionNorm: read(`${p}.post_attention_layernorm.weight`, [H]),
      gate: linear(`${p}.mlp.gate_proj`, I, H, cfg.mlpBias),
      up: linear(`${p}.mlp.up_proj`, I, H, cfg.mlpBias),
      down: linear(`${p}.mlp.down_proj`, H, I, cfg.mlpBias),
    });
  }

  // the embedding lookup reads one row per token: negligible next to the matrices
  const embedding = tensor('model.embed_tokens.weight', [V, H]);
  const finalNorm = read('model.norm.weight', [H]);
  const tied = cfg.tieWordEmbeddings || !store.has('lm_head.weight');
  const lmHead = tied ? embedding : tensor('lm_head.weight', [V, H]);
  bytesPerToken += lmHead.byteLength;
  return { embedding, layers, finalNorm, lmHead, bytesPerToken };
}
