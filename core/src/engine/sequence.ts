/** One request as the scheduler and engine track it. */
import type { EngineEvent, SamplingParams } from './types.ts';
import type { RadixCursor } from './radix-cache.ts';
import type { SamplerState } from './sampler.ts';

export type SequenceStatus = 'waiting' | 'running' | 'finished';

export class Sequence {
  status: SequenceStatus = 'waiting';
  /** KV blocks covering positions [0, kvLen) and the tokens scheduled this step */
  blockTable: number[] = [];
  /** tokens whose KV is in the cache */
  kvLen = 0;
  cursor: RadixCursor;
  /** increases on every admission; the largest running one is preempted first */
  admissionOrder = -1;
  /** prompt tokens served by the prefix cache at first admission */
  cachedPromptTokens: number | undefined;
  prefillDone = false;
  preemptions = 0;
  /** prompt followed by generated tokens */
  readonly tokens: number[];
  readonly promptLength: number;

  constructor(
    readonly id: string,
    promptIds: readonly number[],
    readonly sampling: SamplingParams,
    readonly samplerState: SamplerState,
    readonly onEvent: (e: EngineEvent) => void,
    emptyCursor: RadixCursor,
  ) {
    this.tokens = [...promptIds];
    this.promptLength = promptIds.length;
    this.cursor = emptyCursor;
  }

  get generated(): number {
    return this.tokens.length - this.promptLength;
  }

  /** tokens still to feed before the next logits (1 while decoding) */
  get pending(): number {
    return this.tokens.length - this.kvLen;
  }
}
