/** x += y, elementwise (the residual connections; there is no native add op and it is a trivial stream). */
export function addInPlace(x: Float32Array, y: Float32Array): void {
  for (let i = 0; i < x.length; i++) x[i] += y[i];
}

/** out[r, :] = src[rows[r], :] for rows of width `width` */
export function gatherRows(out: Float32Array, src: Float32Array, rows: Int32Array, width: number): void {
  for (let r = 0; r < rows.length; r++) {
    const from = rows[r] * width;
    out.set(src.subarray(from, from + width), r * width);
  }
}
