/**
 * Sparse attention with per-head sinks over an explicit key list per query (TypeScript row). K = V: one
 * shared head. The sink joins the softmax denominator only, and the running max ignores it (as the
 * reference kernel; mathematically the same as softmax over [scores, sink] with the sink column dropped).
 */
import type { SparseAttentionArgs } from './kernel-ops.ts';

export function sparseAttention(a: SparseAttentionArgs): void {
  const { q, out, numQueries: nQ, numHeads: H, headDim: D, keys, keyIndex, keyStart, sinks, scale } = a;
  if (q.length < nQ * H * D || out.length < nQ * H * D) throw new RangeError('dsv4SparseAttention: q/out shorter than numQueries·numHeads·headDim');
  if (keyStart.length < nQ + 1 || sinks.length < H) throw new RangeError('dsv4SparseAttention: keyStart needs numQueries+1 offsets and sinks one value per head');
  const numKeys = Math.floor(keys.length / D);
  let scores = new Float64Array(64);
  const acc = new Float64Array(D);
  for (let i = 0; i < nQ; i++) {
    const k0 = keyStart[i]!, k1 = keyStart[i + 1]!;
    const n = k1 - k0;
    if (n < 0 || k1 > keyIndex.length) throw new RangeError(`dsv4SparseAttention: bad key range [${k0}, ${k1}) for query ${i}`);
    if (scores.length < n) scores = new Float64Array(n);
    for (let h = 0; h < H; h++) {
      const qo = (i * H + h) * D;
      let max = -Infinity;
      for (let j = 0; j < n; j++) {
        const row = keyIndex[k0 + j]!;
        if (!(row >= 0 && row < numKeys)) throw new RangeError(`dsv4SparseAttention: key ${row} outside [0, ${numKeys})`);
        const ko = row * D;
        let dot = 0;
        for (let d = 0; d < D; d++) dot += q[qo + d]! * keys[ko + d]!;
        const s = dot * scale;
        scores[j] = s;
        if (s > max) max = s;
      }
      acc.fill(0);
      if (n === 0) {
        out.fill(0, qo, qo + D);
        continue;
      }
      let denom = Math.exp(sinks[h]! - max);
      for (let j = 0; j < n; j++) {
        const p = Math.exp(scores[j]! - max);
        denom += p;
        const ko = keyIndex[k0 + j]! * D;
        for (let d = 0; d < D; d++) acc[d]! += p * keys[ko + d]!;
      }
      for (let d = 0; d < D; d++) out[qo + d] = acc[d]! / denom;
    }
  }
}
