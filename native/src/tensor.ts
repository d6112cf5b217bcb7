/**
 * A minimal strided tensor over an ArrayBuffer (heap, or an external buffer over an mmapped file).
 * Kernels read `buffer` at `byteOffset` in place; nothing here copies data.
 */
export type DType = 'F32' | 'F16' | 'BF16' | 'F8_E4M3' | 'F8_E8M0' | 'I8' | 'U8' | 'I32' | 'I64' | 'BOOL';

export const DTYPE_BYTES: Readonly<Record<DType, number>> = {
  F32: 4, F16: 2, BF16: 2, F8_E4M3: 1, F8_E8M0: 1, I8: 1, U8: 1, I32: 4, I64: 8, BOOL: 1,
};

export function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) { strides[i] = s; s *= shape[i]!; }
  return strides;
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export class Tensor {
  readonly strides: readonly number[];
  readonly byteLength: number;

  constructor(
    readonly dtype: DType,
    readonly shape: readonly number[],
    readonly buffer: ArrayBuffer,
    readonly byteOffset = 0,
    strides?: readonly number[],
  ) {
    for (const d of shape) {
      if (!Number.isInteger(d) || d < 0) throw new RangeError(`Tensor: invalid dimension ${d} in shape [${shape.join(', ')}]`);
    }
    this.strides = strides ?? contiguousStrides(shape);
    this.byteLength = numel(shape) * DTYPE_BYTES[dtype];
    if (byteOffset < 0 || byteOffset + this.byteLength > buffer.byteLength) {
      throw new RangeError(`Tensor: ${dtype}[${shape.join(', ')}] at offset ${byteOffset} needs ${this.byteLength} bytes, buffer has ${buffer.byteLength}`);
    }
  }

  get numel(): number { return numel(this.shape); }

  get isContiguous(): boolean {
    const c = contiguousStrides(this.shape);
    return this.strides.every((s, i) => s === c[i] || this.shape[i] === 1);
  }

  /** Bytes of this tensor as a Uint8Array view (no copy). */
  bytes(): Uint8Array { return new Uint8Array(this.buffer, this.byteOffset, this.byteLength); }

  /** Float32Array view of an F32 tensor (no copy). Requires 4-byte alignment. */
  f32(): Float32Array {
    if (this.dtype !== 'F32') throw new TypeError(`Tensor.f32(): tensor is ${this.dtype}`);
    return new Float32Array(this.buffer, this.byteOffset, this.numel);
  }

  static fromF32(data: Float32Array, shape: readonly number[]): Tensor {
    if (numel(shape) !== data.length) throw new RangeError(`Tensor.fromF32: ${data.length} values for shape [${shape.join(', ')}]`);
    return new Tensor('F32', shape, data.buffer as ArrayBuffer, data.byteOffset);
  }
}
