/** Lightning-indexer scores (TypeScript row): I(i, t) = Σ_h w_ih · ReLU(q_ih · k_t) for t < visible_i. */
import type { IndexerScoresArgs } from './kernel-ops.ts';

export function indexerScores(a: IndexerScoresArgs): void {
  const { q, weights, keys, visible, out, numQueries: nQ, numHeads: H, headDim: D, numKeys: T } = a;
  if (q.length < nQ * H * D || weights.length < nQ * H || keys.length < T * D || out.length < nQ * T || visible.length < nQ) {
    throw new RangeError('dsv4IndexerScores: an argument is shorter than its declared shape');
  }
  for (let i = 0; i < nQ; i++) {
    const vis = Math.min(Math.max(visible[i]!, 0), T);
    const row = i * T;
    for (let t = 0; t < T; t++) {
      if (t >= vis) {
        out[row + t] = -Infinity;
        continue;
      }
      const ko = t * D;
      let score = 0;
      for (let h = 0; h < H; h++) {
        const qo = (i * H + h) * D;
        let dot = 0;
        for (let d = 0; d < D; d++) dot += q[qo + d]! * keys[ko + d]!;
        if (dot > 0) score += weights[i * H + h]! * dot;
      }
      out[row + t] = score;
    }
  }
}
