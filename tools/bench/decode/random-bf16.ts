/**
 * Fast deterministic random BF16 data: uniform values in [-amplitude, amplitude) from xorshift32,
 * rounded to BF16 by truncating the f32 bits (the distribution, not the exact rounding, matters here).
 */
export class RandomBf16 {
  private state: number;
  private readonly f32 = new Float32Array(1 << 16);
  private readonly halves = new Uint16Array(this.f32.buffer);

  constructor(seed: number) {
    this.state = (seed >>> 0) || 0x9e3779b9;
  }

  /** fills `out` (BF16 bit patterns) with uniform random values in [-amplitude, amplitude) */
  fill(out: Uint16Array, amplitude: number): void {
    const scale = (2 * amplitude) / 4294967296;
    let s = this.state;
    for (let start = 0; start < out.length; start += this.f32.length) {
      const n = Math.min(this.f32.length, out.length - start);
      for (let i = 0; i < n; i++) {
        s ^= s << 13; s ^= s >>> 17; s ^= s << 5;
        this.f32[i] = (s >>> 0) * scale - amplitude;
      }
      // little endian: the high (BF16) half of f32 element i is halves[2i + 1]
      for (let i = 0; i < n; i++) out[start + i] = this.halves[2 * i + 1];
    }
    this.state = s;
  }
}

/** BF16 bit pattern of a float32 value, rounded to nearest even */
export function bf16Bits(x: number): number {
  const u = new Uint32Array(new Float32Array([x]).buffer)[0];
  return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
}
