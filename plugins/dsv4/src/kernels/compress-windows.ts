/**
 * The KV compressor's pooling (TypeScript row): for every window and channel, a softmax over the window's
 * candidate rows of their gate scores, weighting their kv values. Candidates with score -Infinity (the
 * missing previous window of the first overlapped window) get weight 0.
 */
import type { CompressWindowsArgs } from './kernel-ops.ts';

export function compressWindows(a: CompressWindowsArgs): void {
  const { out, kv, score, numWindows: W, numCandidates: C, dim: D } = a;
  if (out.length < W * D || kv.length < W * C * D || score.length < W * C * D) throw new RangeError('dsv4CompressWindows: an argument is shorter than its declared shape');
  for (let w = 0; w < W; w++) {
    const base = w * C * D;
    for (let d = 0; d < D; d++) {
      let max = -Infinity;
      for (let c = 0; c < C; c++) max = Math.max(max, score[base + c * D + d]!);
      if (max === -Infinity) {
        out[w * D + d] = 0;
        continue;
      }
      let sum = 0, acc = 0;
      for (let c = 0; c < C; c++) {
        const p = Math.exp(score[base + c * D + d]! - max);
        sum += p;
        acc += p * kv[base + c * D + d]!;
      }
      out[w * D + d] = acc / sum;
    }
  }
}
