/** log_softmax and greedy helpers over one row of logits. */

export function logSoftmax(logits: Float32Array): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i];
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i] - max);
  const lse = max + Math.log(sum);
  const out = new Float64Array(logits.length);
  for (let i = 0; i < logits.length; i++) out[i] = logits[i] - lse;
  return out;
}

/** index of the largest value, lowest index on ties */
export function argmax(xs: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i] > xs[best]) best = i;
  return best;
}

export function topK(xs: ArrayLike<number>, k: number): Array<{ id: number; value: number }> {
  const out: Array<{ id: number; value: number }> = [];
  for (let i = 0; i < xs.length; i++) {
    const v = xs[i];
    if (out.length < k || v > out[out.length - 1].value) {
      out.push({ id: i, value: v });
      out.sort((a, b) => b.value - a.value || a.id - b.id);
      if (out.length > k) out.pop();
    }
  }
  return out;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
