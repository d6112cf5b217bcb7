/** Shape/dtype checks and small-vector reads shared by the quant methods. Errors name the tensor and say what was expected. */
import type { DType, Tensor } from '@plexus/native';
import { CheckpointFormatError } from '../errors.ts';
import { alignedF32, alignedU16 } from '../model/safetensors/aligned.ts';
import type { TensorStore } from '../model/types.ts';

export const FLOAT_DTYPES: ReadonlySet<DType> = new Set<DType>(['F32', 'BF16', 'F16']);

export interface TensorExpectation {
  dtypes?: ReadonlySet<DType> | readonly DType[];
  shape?: readonly number[];
  /** what the tensor is, for messages ("FP8 weight", "expert scales"…) */
  what?: string;
}

export function requireTensor(store: TensorStore, name: string, source: string, expect: TensorExpectation = {}): Tensor {
  if (!store.has(name)) {
    const shape = expect.shape ? ` (expected shape [${expect.shape.join(', ')}])` : '';
    throw new CheckpointFormatError(source, `missing ${expect.what ?? 'tensor'}${shape}`, name);
  }
  const t = store.get(name);
  checkTensor(t, name, source, expect);
  return t;
}

export function checkTensor(t: Tensor, name: string, source: string, expect: TensorExpectation = {}): void {
  const dtypes = expect.dtypes ? [...expect.dtypes] : undefined;
  if (dtypes && !dtypes.includes(t.dtype)) {
    throw new CheckpointFormatError(source, `${expect.what ?? 'tensor'} has dtype ${t.dtype}, expected ${dtypes.join(' or ')}`, name);
  }
  if (expect.shape && (t.shape.length !== expect.shape.length || t.shape.some((d, i) => d !== expect.shape![i]))) {
    throw new CheckpointFormatError(source, `${expect.what ?? 'tensor'} has shape [${t.shape.join(', ')}], expected [${expect.shape.join(', ')}] (from config.json)`, name);
  }
  if (!t.isContiguous) throw new CheckpointFormatError(source, `${expect.what ?? 'tensor'} is not contiguous`, name);
}

/** An F32 / BF16 / F16 vector as Float32Array (a view when F32 and aligned, else a small copy). */
export function floatVector(t: Tensor, name: string, source: string, length?: number): Float32Array {
  if (length !== undefined && t.numel !== length) {
    throw new CheckpointFormatError(source, `has ${t.numel} elements, expected ${length}`, name);
  }
  if (t.dtype === 'F32') return alignedF32(t, name);
  if (t.dtype !== 'BF16' && t.dtype !== 'F16') throw new CheckpointFormatError(source, `dtype ${t.dtype} is not a float vector (F32, BF16 or F16)`, name);
  const h = alignedU16(t, name);
  const out = new Float32Array(h.length);
  if (t.dtype === 'BF16') {
    const u = new Uint32Array(out.buffer);
    for (let i = 0; i < h.length; i++) u[i] = h[i]! << 16;
  } else {
    for (let i = 0; i < h.length; i++) out[i] = f16ToF32(h[i]!);
  }
  return out;
}

function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}
