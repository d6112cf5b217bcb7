/**
 * Scratch arrays that grow (to the next power of two) and are then reused, so steady-state decode
 * allocates nothing per token. Views of the exact length are cached for the last requested size.
 */
export class GrowableF32 {
  private data = new Float32Array(0);
  private view = new Float32Array(0);

  /** a zero-copy view of exactly n elements; contents are whatever the previous user left */
  take(n: number): Float32Array {
    if (n > this.data.length) {
      this.data = new Float32Array(nextPow2(n));
      this.view = this.data.subarray(0, n);
    } else if (this.view.length !== n) {
      this.view = this.data.subarray(0, n);
    }
    return this.view;
  }
}

export class GrowableI32 {
  private data = new Int32Array(0);
  private view = new Int32Array(0);

  take(n: number): Int32Array {
    if (n > this.data.length) {
      this.data = new Int32Array(nextPow2(n));
      this.view = this.data.subarray(0, n);
    } else if (this.view.length !== n) {
      this.view = this.data.subarray(0, n);
    }
    return this.view;
  }
}

function nextPow2(n: number): number {
  let c = 16;
  while (c < n) c *= 2;
  return c;
}
