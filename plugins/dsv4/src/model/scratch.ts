/** Reused work buffers, by name: a forward pass asks for exact-length views and the memory stays. */
export class Scratch {
  private readonly f32s = new Map<string, Float32Array>();
  private readonly i32s = new Map<string, Int32Array>();

  /** a zero-length-checked view of `n` floats (contents are stale: callers overwrite) */
  f32(key: string, n: number): Float32Array {
    let b = this.f32s.get(key);
    if (!b || b.length < n) {
      b = new Float32Array(Math.max(n, Math.floor((b?.length ?? 0) * 1.5)));
      this.f32s.set(key, b);
    }
    return b.subarray(0, n);
  }

  i32(key: string, n: number): Int32Array {
    let b = this.i32s.get(key);
    if (!b || b.length < n) {
      b = new Int32Array(Math.max(n, Math.floor((b?.length ?? 0) * 1.5)));
      this.i32s.set(key, b);
    }
    return b.subarray(0, n);
  }

  clear(): void {
    this.f32s.clear();
    this.i32s.clear();
  }
}
