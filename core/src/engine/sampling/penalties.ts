/**
 * Repetition penalties, applied to a working copy of the logits.
 * - repetition (HF): every token seen in prompt or output: positive logits divided, negative multiplied;
 * - presence / frequency (OpenAI): generated tokens only, logit -= presence + frequency * count.
 */
import type { SamplingParams } from '../types.ts';

export interface PenaltyHistory {
  /** prompt and generated tokens (only tracked when repetition penalty is on) */
  readonly seen: Set<number> | undefined;
  /** generated token counts (only tracked when presence/frequency penalty is on) */
  readonly generatedCounts: Map<number, number> | undefined;
}

export function createPenaltyHistory(promptIds: readonly number[], params: SamplingParams): PenaltyHistory {
  return {
    seen: params.repetitionPenalty !== 1 ? new Set(promptIds) : undefined,
    generatedCounts: params.presencePenalty !== 0 || params.frequencyPenalty !== 0 ? new Map() : undefined,
  };
}

export function recordGenerated(history: PenaltyHistory, tokenId: number): void {
  history.seen?.add(tokenId);
  if (history.generatedCounts) history.generatedCounts.set(tokenId, (history.generatedCounts.get(tokenId) ?? 0) + 1);
}

export function applyPenalties(logits: Float32Array, params: SamplingParams, history: PenaltyHistory): void {
  const rep = params.repetitionPenalty;
  if (history.seen && rep !== 1) {
    for (const id of history.seen) {
      const l = logits[id]!;
      logits[id] = l > 0 ? l / rep : l * rep;
    }
  }
  if (history.generatedCounts) {
    for (const [id, count] of history.generatedCounts) {
      logits[id] = logits[id]! - params.presencePenalty - params.frequencyPenalty * count;
    }
  }
}
