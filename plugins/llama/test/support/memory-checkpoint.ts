/** An in-memory Checkpoint (heap tensors) for tests that exercise config and weight binding without files. */
import { Tensor, type Checkpoint } from '@plexus/core';
import { memoryCheckpoint as sharedMemoryCheckpoint } from '../../../../test/support/memory-store.ts';

export { memoryTensorStore } from '../../../../test/support/memory-store.ts';

export function memoryCheckpoint(architecture: string, config: Record<string, unknown>, tensors: Map<string, Tensor>): Checkpoint {
  return sharedMemoryCheckpoint('/memory/model', architecture, config, tensors);
}

/** every tensor a dense Llama-family checkpoint of this shape has, filled by `fill(name, index)` */
export function denseTensorShapes(c: {
  hidden: number; layers: number; heads: number; kvHeads: number; headDim: number; inter: number; vocab: number;
  qkvBias?: boolean; qkNorm?: boolean; lmHead?: boolean;
}): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  shapes.set('model.embed_tokens.weight', [c.vocab, c.hidden]);
  for (let i = 0; i < c.layers; i++) {
    const p = `model.layers.${i}`;
    shapes.set(`${p}.input_layernorm.weight`, [c.hidden]);
    shapes.set(`${p}.self_attn.q_proj.weight`, [c.heads * c.headDim, c.hidden]);
    shapes.set(`${p}.self_attn.k_proj.weight`, [c.kvHeads * c.headDim, c.hidden]);
    shapes.set(`${p}.self_attn.v_proj.weight`, [c.kvHeads * c.headDim, c.hidden]);
    if (c.qkvBias) {
      shapes.set(`${p}.self_attn.q_proj.bias`, [c.heads * c.headDim]);
      shapes.set(`${p}.self_attn.k_proj.bias`, [c.kvHeads * c.headDim]);
      shapes.set(`${p}.self_attn.v_proj.bias`, [c.kvHeads * c.headDim]);
    }
    shapes.set(`${p}.self_attn.o_proj.weight`, [c.hidden, c.heads * c.headDim]);
    if (c.qkNorm) {
      shapes.set(`${p}.self_attn.q_norm.weight`, [c.headDim]);
      shapes.set(`${p}.self_attn.k_norm.weight`, [c.headDim]);
    }
    shapes.set(`${p}.post_attention_layernorm.weight`, [c.hidden]);
    shapes.set(`${p}.mlp.gate_proj.weight`, [c.inter, c.hidden]);
    shapes.set(`${p}.mlp.up_proj.weight`, [c.inter, c.hidden]);
    shapes.set(`${p}.mlp.down_proj.weight`, [c.hidden, c.inter]);
  }
  shapes.set('model.norm.weight', [c.hidden]);
  if (c.lmHead) shapes.set('lm_head.weight', [c.vocab, c.hidden]);
  return shapes;
}

export function zeroTensors(shapes: Map<string, number[]>): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const [name, shape] of shapes) out.set(name, Tensor.fromF32(new Float32Array(shape.reduce((a, b) => a * b, 1)), shape));
  return out;
}
