/**
 * Partial selection: the k largest entries of a vector without sorting it.
 * Order: value descending, ties by lower index. NaN counts as -Infinity.
 */

function isBetter(va: number, ia: number, vb: number, ib: number): boolean {
  return va > vb || (va === vb && ia < ib);
}

function valueAt(values: ArrayLike<number>, i: number): number {
  const v = values[i]!;
  return v === v ? v : -Infinity;
}

/** indices of the `k` largest values, best first */
export function selectTop(values: ArrayLike<number>, k: number): Int32Array {
  const n = values.length;
  const count = Math.max(0, Math.min(k, n));
  if (count === 0) return new Int32Array(0);
  // a bounded heap wins while k is small against n; beyond that one sort is cheaper
  if (count * 8 >= n) return sortAll(values).subarray(0, count);
  // min-heap whose root is the worst kept entry
  const heapIdx = new Int32Array(count);
  const heapVal = new Float64Array(count);
  let size = 0;
  const siftDown = (start: number): void => {
    let i = start;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let w = i;
      if (l < size && isBetter(heapVal[w]!, heapIdx[w]!, heapVal[l]!, heapIdx[l]!)) w = l;
      if (r < size && isBetter(heapVal[w]!, heapIdx[w]!, heapVal[r]!, heapIdx[r]!)) w = r;
      if (w === i) return;
      const ti = heapIdx[i]!; heapIdx[i] = heapIdx[w]!; heapIdx[w] = ti;
      const tv = heapVal[i]!; heapVal[i] = heapVal[w]!; heapVal[w] = tv;
      i = w;
    }
  };
  for (let i = 0; i < count; i++) {
    const v = valueAt(values, i);
    // sift up
    let j = size++;
    heapIdx[j] = i;
    heapVal[j] = v;
    while (j > 0) {
      const p = (j - 1) >> 1;
      if (!isBetter(heapVal[p]!, heapIdx[p]!, heapVal[j]!, heapIdx[j]!)) break;
      const ti = heapIdx[p]!; heapIdx[p] = heapIdx[j]!; heapIdx[j] = ti;
      const tv = heapVal[p]!; heapVal[p] = heapVal[j]!; heapVal[j] = tv;
      j = p;
    }
  }
  // the scan goes up in index, so a later entry beats the worst kept one only by a strictly larger
  // value (a tie loses on index, a NaN compares false): one comparison rejects almost every entry
  let worst = heapVal[0]!;
  for (let i = count; i < n; i++) {
    const v = values[i]!;
    if (!(v > worst)) continue;
    heapIdx[0] = i;
    heapVal[0] = v;
    siftDown(0);
    worst = heapVal[0]!;
  }
  return sortIndices(heapIdx, values);
}

/** sorts the given indices best first (in place) and returns them */
export function sortIndices(indices: Int32Array, values: ArrayLike<number>): Int32Array {
  return indices.sort((a, b) => {
    const va = valueAt(values, a);
    const vb = valueAt(values, b);
    return va === vb ? a - b : va > vb ? -1 : 1;
  });
}

function sortAll(values: ArrayLike<number>): Int32Array {
  const idx = new Int32Array(values.length);
  for (let i = 0; i < idx.length; i++) idx[i] = i;
  return sortIndices(idx, values);
}

/** index of the largest value, ties by lower index; -1 for an empty vector */
export function argmax(values: ArrayLike<number>): number {
  if (values.length === 0) return -1;
  return values instanceof Float32Array ? argmaxF32(values) : argmaxGeneric(values);
}

/**
 * The hot path (one 150k-entry logits row per request per step): a monomorphic typed-array loop,
 * ~2x faster than the generic one. A NaN never compares greater, and when nothing beats -Infinity
 * the answer is 0, exactly as argmaxGeneric decides.
 */
function argmaxF32(values: Float32Array): number {
  let best = 0;
  let bestVal = -Infinity;
  const n = values.length;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (v > bestVal) {
      bestVal = v;
      best = i;
    }
  }
  return best;
}

function argmaxGeneric(values: ArrayLike<number>): number {
  let best = 0;
  let bestVal = valueAt(values, 0);
  for (let i = 1; i < values.length; i++) {
    const v = valueAt(values, i);
    if (v > bestVal) {
      best = i;
      bestVal = v;
    }
  }
  return best;
}
