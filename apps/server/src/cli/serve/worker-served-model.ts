/**
 * The ServedModel of `plexus serve`: the tokenizer lives in the main thread, the engine in its worker.
 * Not ready (GET /health 503) until the worker has built the model and its KV pool; max_model_len is
 * the engine's effective context length from then on.
 */
import type { ChatEncoder, EngineStats, GenerationDefaults, ReasoningParser, TextTokenizer, ToolCallParser } from '@plexus/core';
import type { WorkerEngineClient } from '@plexus/core/internal';
import type { ServedModel } from '../../http/types.ts';

/** text processors resolved from the TextProcessingRegistry (flags, or the architecture's default encoder) */
export interface ServedTextProcessors {
  chatEncoder?: ChatEncoder;
  reasoningParser?: ReasoningParser;
  toolParser?: ToolCallParser;
}

export class WorkerServedModel implements ServedModel {
  private stats: EngineStats | undefined;
  readonly chatEncoder?: ChatEncoder;
  readonly reasoningParser?: ReasoningParser;
  readonly toolParser?: ToolCallParser;

  constructor(
    readonly name: string,
    readonly tokenizer: TextTokenizer,
    readonly engine: WorkerEngineClient,
    readonly defaults: GenerationDefaults,
    /** what max_model_len shows until the engine reports its own (the configured or the model's context) */
    private readonly provisionalMaxLen: number,
    text: ServedTextProcessors = {},
  ) {
    if (text.chatEncoder) this.chatEncoder = text.chatEncoder;
    if (text.reasoningParser) this.reasoningParser = text.reasoningParser;
    if (text.toolParser) this.toolParser = text.toolParser;
    engine.ready.then((s) => (this.stats = s), () => undefined);
  }

  get maxModelLen(): number {
    return this.stats?.contextLength ?? this.provisionalMaxLen;
  }

  ready(): boolean {
    return this.stats !== undefined;
  }
}
