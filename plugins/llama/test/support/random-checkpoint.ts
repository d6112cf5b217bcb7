/** Tiny random-weight dense checkpoints in memory (F32 or BF16), for self-consistency tests. */
import { Tensor, type Checkpoint } from '@plexus/core';
import { mulberry32 } from '../../../../test/support/seeded-random.ts';
import { denseTensorShapes, memoryCheckpoint } from './memory-checkpoint.ts';

export interface TinyShape {
  hidden: number; layers: number; heads: number; kvHeads: number; headDim: number; inter: number; vocab: number;
  qkvBias?: boolean; qkNorm?: boolean; lmHead?: boolean;
}

export function randomDenseCheckpoint(
  architecture: string,
  shape: TinyShape,
  extraConfig: Record<string, unknown> = {},
  opts: { seed?: number; dtype?: 'F32' | 'BF16' } = {},
): Checkpoint {
  const rand = mulberry32(opts.seed ?? 1);
  const tensors = new Map<string, Tensor>();
  for (const [name, dims] of denseTensorShapes(shape)) {
    const n = dims.reduce((a, b) => a * b, 1);
    const isNorm = name.endsWith('norm.weight');
    const values = Float32Array.from({ length: n }, () => (isNorm ? 0.8 + 0.4 * rand() : (rand() - 0.5) * 0.4));
    tensors.set(name, opts.dtype === 'BF16' ? toBf16Tensor(values, dims) : Tensor.fromF32(values, dims));
  }
  const config = {
    hidden_size: shape.hidden, num_hidden_layers: shape.layers, num_attention_heads: shape.heads,
    num_key_value_heads: shape.kvHeads, head_dim: shape.headDim, intermediate_size: shape.inter,
    vocab_size: shape.vocab, rms_norm_eps: 1e-6, max_position_embeddings: 4096, rope_theta: 10000,
    tie_word_embeddings: !shape.lmHead, ...extraConfig,
  };
  return memoryCheckpoint(architecture, config, tensors);
}

function toBf16Tensor(values: Float32Array, dims: number[]): Tensor {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const u = bits[i];
    out[i] = ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
  }
  return new Tensor('BF16', dims, out.buffer);
}
