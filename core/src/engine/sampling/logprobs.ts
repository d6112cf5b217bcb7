/**
 * Logprobs as clients and the HF references expect them: log_softmax of the RAW model logits
 * (before penalties, temperature or truncation), reported as float32 values.
 */
import type { TokenLogprob } from '../types.ts';
import { selectTop } from './select-top.ts';

/** log of the softmax normaliser, accumulated in float64 */
export function logSumExp(logits: ArrayLike<number>): number {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i]! > max) max = logits[i]!;
  if (max === -Infinity || max !== max) return max;
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i]! - max);
  return max + Math.log(sum);
}

/** the chosen token's logprob plus the `topN` most likely tokens (best first, ties by lower id) */
export function tokenLogprob(rawLogits: Float32Array, tokenId: number, topN: number): TokenLogprob {
  const logZ = logSumExp(rawLogits);
  const top = topN > 0 ? Array.from(selectTop(rawLogits, topN), (id) => ({ tokenId: id, logprob: Math.fround(rawLogits[id]! - logZ) })) : [];
  return { tokenId, logprob: Math.fround(rawLogits[tokenId]! - logZ), top };
}
