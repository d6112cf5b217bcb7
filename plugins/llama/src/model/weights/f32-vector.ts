/**
 * Small per-channel vectors (biases) as Float32Array, which is what the matmul op takes. F32 tensors are
 * viewed in place; BF16/F16 ones (a few KiB each) are widened once at load time.
 */
import type { Tensor } from '@plexus/core';

export function toF32Vector(t: Tensor): Float32Array {
  if (t.dtype === 'F32') {
    if (t.byteOffset % 4 === 0) return t.f32();
    return new Float32Array(t.buffer.slice(t.byteOffset, t.byteOffset + t.byteLength));
  }
  const n = t.numel;
  const out = new Float32Array(n);
  const src = new DataView(t.buffer, t.byteOffset, t.byteLength);
  if (t.dtype === 'BF16') {
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < n; i++) bits[i] = src.getUint16(i * 2, true) << 16;
  } else if (t.dtype === 'F16') {
    for (let i = 0; i < n; i++) out[i] = halfToFloat(src.getUint16(i * 2, true));
  } else {
    throw new TypeError(`toF32Vector: unsupported dtype ${t.dtype}`);
  }
  return out;
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}
