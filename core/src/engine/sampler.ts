/**
 * Turns one row of model logits into the next token for one request.
 * Pipeline: raw logprobs (if asked) → penalties → min-new-tokens mask → greedy, or
 * temperature → top-k → top-p → min-p → seeded draw. See sampling/ for each step.
 */
import type { SamplingParams, TokenLogprob } from './types.ts';
import { applyPenalties, createPenaltyHistory, recordGenerated, type PenaltyHistory } from './sampling/penalties.ts';
import { tokenLogprob } from './sampling/logprobs.ts';
import { randomSeed, uniformAt } from './sampling/rng.ts';
import { argmax } from './sampling/select-top.ts';
import { TruncationScratch, truncate } from './sampling/truncation.ts';

/** per-request sampler state; survives preemption, so a resumed request keeps its random stream */
export interface SamplerState {
  readonly seed: number;
  readonly history: PenaltyHistory;
  /** tokens generated so far (index of the next random draw) */
  generated: number;
}

export interface SampleResult {
  tokenId: number;
  logprob?: TokenLogprob;
}

export class Sampler {
  private readonly work: Float32Array;
  private readonly scratch: TruncationScratch;
  private readonly eosIds: readonly number[];

  constructor(readonly vocabSize: number, eosTokenIds: readonly number[]) {
    this.work = new Float32Array(vocabSize);
    this.scratch = new TruncationScratch(vocabSize);
    this.eosIds = eosTokenIds.filter((id) => id >= 0 && id < vocabSize);
  }

  createState(promptIds: readonly number[], params: SamplingParams): SamplerState {
    return { seed: params.seed ?? randomSeed(), history: createPenaltyHistory(promptIds, params), generated: 0 };
  }

  /** picks the next token and records it in `state` */
  sample(rawLogits: Float32Array, params: SamplingParams, state: SamplerState): SampleResult {
    if (rawLogits.length !== this.vocabSize) {
      throw new RangeError(`sampler: logits row has ${rawLogits.length} entries, vocabulary has ${this.vocabSize}`);
    }
    const isGreedy = params.temperature === 0 || params.topK === 1;
    const masking = state.generated < params.minNewTokens;
    const untouched = !state.history.seen && !state.history.generatedCounts && !masking;
    let tokenId: number;
    if (isGreedy && untouched) {
      // plain greedy needs no working copy (argmax already treats NaN as -Infinity)
      tokenId = argmax(rawLogits);
    } else {
      const work = this.work;
      for (let i = 0; i < work.length; i++) {
        const v = rawLogits[i]!;
        // a NaN must never win; +Infinity would make every weight NaN
        work[i] = v !== v ? -Infinity : v === Infinity ? 3.4e38 : v;
      }
      applyPenalties(work, params, state.history);
      if (masking) this.maskStops(work, params);
      tokenId = isGreedy ? argmax(work) : this.draw(work, params, state);
    }
    const result: SampleResult = { tokenId };
    if (params.returnLogprob || params.topLogprobs > 0) result.logprob = tokenLogprob(rawLogits, tokenId, params.topLogprobs);
    recordGenerated(state.history, tokenId);
    state.generated++;
    return result;
  }

  /** temperature → top-k → top-p → min-p, then one seeded draw */
  private draw(work: Float32Array, params: SamplingParams, state: SamplerState): number {
    const c = truncate(work, params, this.scratch);
    let total = 0;
    for (let j = 0; j < c.count; j++) total += c.weights[j]!;
    const r = uniformAt(state.seed, state.generated) * total;
    let cum = 0;
    for (let j = 0; j < c.count; j++) {
      cum += c.weights[j]!;
      if (r < cum) return c.ids[j]!;
    }
    return c.ids[c.count - 1]!; // rounding left r at the very end
  }

  private maskStops(work: Float32Array, params: SamplingParams): void {
    for (const id of params.stopTokenIds) if (id >= 0 && id < work.length) work[id] = -Infinity;
    if (!params.ignoreEos) for (const id of this.eosIds) work[id] = -Infinity;
  }
}
