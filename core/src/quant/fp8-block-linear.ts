/**
 * fp8-block: F8_E4M3 weights [out, in] with one scale per blockN × blockK block (DeepSeek style,
 * `weight_block_size` [128, 128]). Scales are E8M0 (`scale_fmt: "ue8m0"`, tensor `<name>.scale`) or float
 * (`<name>.weight_scale_inv` in FP8 "Base"/V3-style checkpoints, F32 or BF16). The kernel reads the e4m3
 * bytes and the scales in place; the weights are never dequantized into a second copy.
 */
import type { Tensor } from '@plexus/native';
import { fp8FirstNaN } from '@plexus/native';
import { CheckpointFormatError } from '../errors.ts';
import type { QuantConfig, QuantLayer, QuantWrapper } from '../kernel/registries/quant-method-registry.ts';
import type { TensorStore } from '../model/types.ts';
import type { Linear, LinearLayer, LinearMethod } from './linear.ts';
import { loadLinearBias } from './linear-bias.ts';
import { fp8BlockSize } from './quant-config.ts';
import { checkTensor, requireTensor } from './tensor-checks.ts';

export const FP8_BLOCK_METHOD_ID = 'fp8-block';

/** sibling scale tensor names, in lookup order */
export const FP8_SCALE_SUFFIXES = ['scale', 'weight_scale_inv', 'weight_scale'] as const;

const SCALE_DTYPES = ['F8_E8M0', 'F32', 'BF16'] as const;

export interface Fp8BlockContext {
  readonly blockN: number;
  readonly blockK: number;
}

export const FP8_BLOCK_WRAPPER: QuantWrapper<Fp8BlockContext, LinearMethod> = {
  id: FP8_BLOCK_METHOD_ID,
  priority: 10,
  predicate(layer: QuantLayer, config: QuantConfig): Fp8BlockContext | undefined {
    if (layer.kind !== 'linear') return undefined;
    const store = layer['store'] as TensorStore | undefined;
    const name = `${layer.name}.weight`;
    if (!store?.has(name) || store.get(name).dtype !== 'F8_E4M3') return undefined;
    const [blockN, blockK] = fp8BlockSize(config);
    return { blockN, blockK };
  },
  factory(_layer, _inner, ctx): LinearMethod {
    return { id: FP8_BLOCK_METHOD_ID, create: (layer) => createFp8Linear(layer, ctx) };
  },
};

function createFp8Linear(layer: LinearLayer, ctx: Fp8BlockContext): Linear {
  const { source, store } = layer;
  const wName = `${layer.name}.weight`;
  const w = requireTensor(store, wName, source, { what: 'FP8 weight', dtypes: ['F8_E4M3'], ...(layer.shape ? { shape: layer.shape } : {}) });
  if (w.shape.length !== 2) throw new CheckpointFormatError(source, `FP8 weight must be 2-D [out, in], got [${w.shape.join(', ')}]`, wName);
  const [N, K] = w.shape as [number, number];
  const { blockN, blockK } = ctx;

  const sName = FP8_SCALE_SUFFIXES.map((s) => `${layer.name}.${s}`).find((n) => store.has(n));
  if (!sName) {
    throw new CheckpointFormatError(source, `FP8 weight has no block scales (looked for ${FP8_SCALE_SUFFIXES.map((s) => `'.${s}'`).join(', ')})`, wName);
  }
  const scaleShape = [Math.ceil(N / blockN), Math.ceil(K / blockK)];
  const scale = store.get(sName);
  if (scale.shape.length !== 2 || scale.shape[0] !== scaleShape[0] || scale.shape[1] !== scaleShape[1]) {
    throw new CheckpointFormatError(source, `block scales have shape [${scale.shape.join(', ')}], expected [${scaleShape.join(', ')}] for a ` +
      `[${N}, ${K}] weight with weight_block_size [${blockN}, ${blockK}]; check quantization_config.weight_block_size`, sName);
  }
  checkTensor(scale, sName, source, { what: 'FP8 block scales', dtypes: SCALE_DTYPES });
  checkScales(scale, sName, source);
  const nan = fp8FirstNaN(w.bytes());
  if (nan >= 0) {
    throw new CheckpointFormatError(source, `element [${Math.floor(nan / K)}, ${nan % K}] is an E4M3 NaN (byte 0x${w.bytes()[nan]!.toString(16)}); the checkpoint is corrupt`, wName);
  }
  const bias = loadLinearBias(layer, N);
  const ops = layer.ops;
  return {
    name: layer.name,
    method: FP8_BLOCK_METHOD_ID,
    outFeatures: N,
    inFeatures: K,
    weightBytes: w.byteLength + scale.byteLength + (bias ? bias.byteLength : 0),
    forward(out, x, M) {
      ops.fp8Matmul({ out, x, M, w, scale, blockN, blockK, ...(bias ? { bias } : {}) });
    },
  };
}

/** NaN scales (E8M0 0xFF, non-finite floats) would silently poison whole blocks: reject them at load. */
function checkScales(scale: Tensor, name: string, source: string): void {
  const bytes = scale.bytes();
  const cols = scale.shape[1]!;
  const where = (i: number) => `[${Math.floor(i / cols)}, ${i % cols}]`;
  if (scale.dtype === 'F8_E8M0') {
    const i = bytes.indexOf(0xff);
    if (i >= 0) throw new CheckpointFormatError(source, `block scale ${where(i)} is the E8M0 NaN (0xFF); the checkpoint is corrupt`, name);
    return;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bf16 = new DataView(new ArrayBuffer(4));
  for (let i = 0; i < scale.numel; i++) {
    if (scale.dtype === 'BF16') bf16.setUint32(0, view.getUint16(2 * i, true) << 16, true);
    const v = scale.dtype === 'F32' ? view.getFloat32(4 * i, true) : bf16.getFloat32(0, true);
    if (!Number.isFinite(v)) throw new CheckpointFormatError(source, `block scale ${where(i)} is ${v}; the checkpoint is corrupt`, name);
  }
}
