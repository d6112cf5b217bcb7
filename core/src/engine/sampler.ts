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

/**
 * Argmax of each of `rows` consecutive rows of `cols` entries, ties to the lower index, NaN never
 * chosen (a row with nothing above -Infinity gives 0): the contract of the 'argmax' kernel op.
 */
export type ArgmaxRowsKernel = (x: Float32Array, rows: number, cols: number) => Int32Array;

/** one logits row of a step: whose it is, or undefined for a row nobody will sample */
export type RowOwner = { readonly params: SamplingParams; readonly state: SamplerState } | undefined;

export class Sampler {
  private readonly work: Float32Array;
  private readonly scratch: TruncationScratch;
  private readonly eosIds: readonly number[];

  /** `argmaxRows`: a batched kernel for the greedy rows of a step; without one a JS loop does it */
  constructor(readonly vocabSize: number, eosTokenIds: readonly number[], private readonly argmaxRows?: ArgmaxRowsKernel) {
    this.work = new Float32Array(vocabSize);
    this.scratch = new TruncationScratch(vocabSize);
    this.eosIds = eosTokenIds.filter((id) => id >= 0 && id < vocabSize);
  }

  /** sample() takes the argmax of the raw logits, with no working copy, penalties or masks */
  isPlainGreedy(params: SamplingParams, state: SamplerState): boolean {
    const isGreedy = params.temperature === 0 || params.topK === 1;
    return isGreedy && !state.history.seen && !state.history.generatedCounts && state.generated >= params.minNewTokens;
  }

  /**
   * The tokens of a step's plain-greedy rows, all at once: `logits` holds `owners.length` rows; the
   * answer has the token of each plain-greedy row and -1 for the rest. Hand each row's entry to
   * sample(). With a batched kernel the whole matrix is one call (a 150k-entry row costs ~0.01 ms
   * there against ~0.2 ms in JS, which at 16 rows a step is a large part of a small model's step).
   */
  greedyTokens(logits: Float32Array, owners: readonly RowOwner[]): Int32Array {
    const rows = owners.length;
    const V = this.vocabSize;
    const out = new Int32Array(rows).fill(-1);
    const greedyRows = owners.map((o) => !!o && this.isPlainGreedy(o.params, o.state));
    if (!greedyRows.includes(true) || logits.length !== rows * V) return out;
    const batched = this.argmaxRowsChecked(logits, rows);
    for (let r = 0; r < rows; r++) {
      if (greedyRows[r]) out[r] = batched ? batched[r]! : argmax(logits.subarray(r * V, (r + 1) * V));
    }
    return out;
  }

  createState(promptIds: readonly number[], params: SamplingParams): SamplerState {
    return { seed: params.seed ?? randomSeed(), history: createPenaltyHistory(promptIds, params), generated: 0 };
  }

  /**
   * picks the next token and records it in `state`; `greedyToken` is this row's greedyTokens() entry
   * (used only on the plain-greedy path, where it is the argmax already taken)
   */
  sample(rawLogits: Float32Array, params: SamplingParams, state: SamplerState, greedyToken = -1): SampleResult {
    if (rawLogits.length !== this.vocabSize) {
      throw new RangeError(`sampler: logits row has ${rawLogits.length} entries, vocabulary has ${this.vocabSize}`);
    }
    let tokenId: number;
    if (this.isPlainGreedy(params, state)) {
      // no working copy needed (argmax already treats NaN as -Infinity)
      tokenId = greedyToken >= 0 && greedyToken < this.vocabSize ? greedyToken : argmax(rawLogits);
    } else {
      const work = this.work;
      for (let i = 0; i < work.length; i++) {
        const v = rawLogits[i]!;
        // a NaN must never win; +Infinity would make every weight NaN
        work[i] = v !== v ? -Infinity : v === Infinity ? 3.4e38 : v;
      }
      applyPenalties(work, params, state.history);
      if (state.generated < params.minNewTokens) this.maskStops(work, params);
      tokenId = params.temperature === 0 || params.topK === 1 ? argmax(work) : this.draw(work, params, state);
    }
    const result: SampleResult = { tokenId };
    if (params.returnLogprob || params.topLogprobs > 0) result.logprob = tokenLogprob(rawLogits, tokenId, params.topLogprobs);
    recordGenerated(state.history, tokenId);
    state.generated++;
    return result;
  }

  /** the kernel's answer, or undefined (JS fallback) when there is no kernel or it misbehaves */
  private argmaxRowsChecked(logits: Float32Array, rows: number): Int32Array | undefined {
    if (!this.argmaxRows) return undefined;
    let ids: Int32Array;
    try {
      ids = this.argmaxRows(logits, rows, this.vocabSize);
    } catch {
      return undefined;
    }
    if (!(ids instanceof Int32Array) || ids.length !== rows) return undefined;
    for (let r = 0; r < rows; r++) if (!(ids[r]! >= 0 && ids[r]! < this.vocabSize)) return undefined;
    return ids;
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
