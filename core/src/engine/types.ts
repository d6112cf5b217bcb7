/** Contracts between the engine (scheduler + model runner, in a worker) and its callers (server, CLI). */

export interface SamplingParams {
  maxNewTokens: number;
  /** 0 = greedy */
  temperature: number;
  topP: number;      // 1 = off
  topK: number;      // 0 or -1 = off
  minP: number;      // 0 = off
  seed?: number;
  repetitionPenalty: number; // 1 = off (HF semantics: divides positive logits, multiplies negative)
  presencePenalty: number;   // 0 = off (OpenAI semantics)
  frequencyPenalty: number;  // 0 = off
  stopTokenIds: number[];
  ignoreEos: boolean;
  minNewTokens: number;
  /** number of top alternatives to report per token (0 = none) */
  topLogprobs: number;
  returnLogprob: boolean;
}

export interface TokenLogprob {
  tokenId: number;
  logprob: number;
  top: Array<{ tokenId: number; logprob: number }>;
}

export interface GenerateRequest {
  id: string;
  inputIds: number[];
  sampling: SamplingParams;
}

export type FinishReason = 'stop' | 'length' | 'abort';

export type EngineEvent =
  | { type: 'tokens'; requestId: string; tokenIds: number[]; logprobs?: TokenLogprob[]; cachedPromptTokens?: number }
  | { type: 'finished'; requestId: string; reason: FinishReason; matchedStopTokenId?: number }
  | { type: 'error'; requestId: string; error: { name: string; message: string } };

export interface EngineStats {
  running: number;
  waiting: number;
  kvUsage: number; // 0..1
  /** prompt tokens looked up in the prefix cache (vLLM prefix_cache_queries semantics) */
  prefixQueries: number;
  /** of those, tokens served from the cache */
  prefixHits: number;
  /** effective max prompt + generated tokens per request (for max_model_len); optional extension */
  contextLength?: number;
  /** KV pool capacity in tokens; optional extension */
  maxTotalTokens?: number;
}

/** What callers use; the worker-thread host and the in-process engine both implement it. */
export interface EngineClient {
  submit(req: GenerateRequest, onEvent: (e: EngineEvent) => void): void;
  abort(requestId: string): void;
  stats(): EngineStats;
  /** stops admitting, lets in-flight requests finish until `deadlineMs` (default 30 s), then aborts the rest */
  shutdown(opts?: { deadlineMs?: number }): Promise<void>;
}

/** Text-level generation on top of an EngineClient: incremental detokenization + stop strings. */
export interface TextGenerationRequest {
  id: string;
  inputIds: number[];
  sampling: SamplingParams;
  /** stop strings: generation ends when one appears; it is not included in the text */
  stop: string[];
  skipSpecialTokens: boolean;
}

export type TextGenerationEvent =
  | { type: 'delta'; text: string; tokenIds: number[]; logprobs?: TokenLogprob[] }
  | {
      type: 'done';
      finishReason: FinishReason;
      /** the stop string or stop token id that ended generation */
      matchedStop?: string | number;
      promptTokens: number;
      completionTokens: number;
      cachedTokens: number;
    }
  | { type: 'error'; error: { name: string; message: string } };
