/**
 * Checked reads of the small tensors the model keeps as plain arrays (sinks, compressor position biases,
 * hyper-connection parameters, tid2eid) and of the ones kernels read in place (norm weights, hc matrices).
 * Every problem is a CheckpointFormatError naming the tensor and what was expected.
 */
import { CheckpointFormatError, Tensor, type DType, type TensorStore } from '@plexus/core';

const FLOAT: readonly DType[] = ['F32', 'BF16', 'F16'];

export class TensorReader {
  constructor(readonly store: TensorStore, readonly source: string) {}

  has(name: string): boolean {
    return this.store.has(name);
  }

  /** the tensor, checked against dtype and shape */
  tensor(name: string, shape: readonly number[], dtypes: readonly DType[] = FLOAT, what = 'tensor'): Tensor {
    if (!this.store.has(name)) {
      throw new CheckpointFormatError(this.source, `missing ${what} (expected shape [${shape.join(', ')}])`, name);
    }
    const t = this.store.get(name);
    if (!dtypes.includes(t.dtype)) throw new CheckpointFormatError(this.source, `${what} has dtype ${t.dtype}, expected ${dtypes.join(' or ')}`, name);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new CheckpointFormatError(this.source, `${what} has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}] (from config.json)`, name);
    }
    if (!t.isContiguous) throw new CheckpointFormatError(this.source, `${what} is not contiguous`, name);
    return t;
  }

  /** a float tensor a native kernel can read in place (F32 copied when not 4-byte aligned) */
  kernelWeight(name: string, shape: readonly number[], what: string): Tensor {
    const t = this.tensor(name, shape, FLOAT, what);
    if (t.dtype === 'F32' && t.byteOffset % 4 !== 0) return Tensor.fromF32(toF32(t), shape);
    if (t.dtype !== 'F32' && t.byteOffset % 2 !== 0) return Tensor.fromF32(toF32(t), shape);
    return t;
  }

  /** a float tensor as a Float32Array copy (small parameters) */
  floats(name: string, shape: readonly number[], what: string): Float32Array {
    const v = toF32(this.tensor(name, shape, FLOAT, what));
    for (let i = 0; i < v.length; i++) {
      if (!Number.isFinite(v[i])) throw new CheckpointFormatError(this.source, `${what} holds a non-finite value at index ${i}`, name);
    }
    return v;
  }

  /** an integer table (I64 or I32) with every value in [0, limit) */
  indices(name: string, shape: readonly number[], limit: number, what: string): Int32Array {
    const t = this.tensor(name, shape, ['I64', 'I32'], what);
    const view = new DataView(t.buffer, t.byteOffset, t.byteLength);
    const out = new Int32Array(t.numel);
    for (let i = 0; i < out.length; i++) {
      const v = t.dtype === 'I64' ? Number(view.getBigInt64(i * 8, true)) : view.getInt32(i * 4, true);
      if (!(v >= 0 && v < limit)) throw new CheckpointFormatError(this.source, `${what} value ${v} at index ${i} is outside [0, ${limit})`, name);
      out[i] = v;
    }
    return out;
  }
}

/** any F32 / BF16 / F16 tensor → a new Float32Array (little-endian, alignment-free) */
export function toF32(t: Tensor): Float32Array {
  const view = new DataView(t.buffer, t.byteOffset, t.byteLength);
  const out = new Float32Array(t.numel);
  if (t.dtype === 'F32') {
    for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  } else if (t.dtype === 'BF16') {
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < out.length; i++) bits[i] = view.getUint16(i * 2, true) << 16;
  } else if (t.dtype === 'F16') {
    for (let i = 0; i < out.length; i++) out[i] = f16(view.getUint16(i * 2, true));
  } else {
    throw new TypeError(`toF32: ${t.dtype} is not a float dtype`);
  }
  return out;
}

function f16(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 31) return m ? NaN : sign * Infinity;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}
