/**
 * Aligned typed-array access to mmapped tensors.
 * safetensors only guarantees that the data section starts 8-aligned; a tensor that follows one of odd
 * byte size (BOOL, U8, I8, an odd-length F16...) can start at any offset, and a Float32Array view then
 * throws. Kernels read F32/BF16 through byte pointers and do not care; JS code that wants typed arrays
 * uses these helpers, which return a zero-copy view when aligned and otherwise an aligned COPY. Copies are
 * only allowed for small tensors (norm weights, biases): a large misaligned tensor is an error, because
 * silently copying it would break the zero-copy memory budget.
 */
import type { Tensor } from '@plexus/native';
import { CheckpointFormatError } from '../../errors.ts';

/** Largest misaligned tensor that is copied instead of rejected. */
export const MAX_ALIGNMENT_COPY_BYTES = 16 * 1024 * 1024;

/** F32 tensor values; `name` labels errors. */
export function alignedF32(tensor: Tensor, name = 'tensor'): Float32Array {
  if (tensor.dtype !== 'F32') throw new CheckpointFormatError('checkpoint', `expected an F32 tensor, got ${tensor.dtype}`, name);
  const bytes = alignedBytes(tensor, 4, name);
  return new Float32Array(bytes.buffer, bytes.byteOffset, tensor.numel);
}

/** F16 or BF16 tensor values as raw 16-bit words. */
export function alignedU16(tensor: Tensor, name = 'tensor'): Uint16Array {
  if (tensor.dtype !== 'F16' && tensor.dtype !== 'BF16') {
    throw new CheckpointFormatError('checkpoint', `expected an F16 or BF16 tensor, got ${tensor.dtype}`, name);
  }
  const bytes = alignedBytes(tensor, 2, name);
  return new Uint16Array(bytes.buffer, bytes.byteOffset, tensor.numel);
}

/** True when the tensor's bytes can be viewed as elements of `alignment` bytes without a copy. */
export function isAligned(tensor: Tensor, alignment: number): boolean {
  return tensor.byteOffset % alignment === 0;
}

function alignedBytes(tensor: Tensor, alignment: number, name: string): Uint8Array {
  if (!tensor.isContiguous) throw new CheckpointFormatError('checkpoint', 'expected a contiguous tensor', name);
  const view = tensor.bytes();
  if (isAligned(tensor, alignment)) return view;
  if (view.byteLength > MAX_ALIGNMENT_COPY_BYTES) {
    throw new CheckpointFormatError('checkpoint', `${tensor.dtype} data at byte offset ${tensor.byteOffset} is not ${alignment}-byte aligned and too large (${view.byteLength} bytes) to copy; re-save the checkpoint with the safetensors library, which orders tensors so data stays aligned`, name);
  }
  return view.slice();
}
