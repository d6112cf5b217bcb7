/**
 * Engine options (the serving flags, SGLang names) and their resolution against a model into the
 * numbers the scheduler and allocator run with.
 */
import type { CausalLM, KvPoolRequest } from '../model/types.ts';
import { InvalidArgumentError } from '../errors.ts';

/** Serialisable (it crosses into the engine worker). */
export interface EngineOptions {
  /** tokens per KV block; default 16 */
  blockSize?: number;
  /** KV pool size in tokens (--max-total-tokens); wins over kvCacheMemoryBytes */
  maxTotalTokens?: number;
  /** KV pool budget in bytes when maxTotalTokens is unset; default 1 GiB */
  kvCacheMemoryBytes?: number;
  /** --max-running-requests; default 256 */
  maxRunningRequests?: number;
  /** --max-queued-requests: submit fails with CapacityError beyond it; default 4096 */
  maxQueuedRequests?: number;
  /** --context-length: max prompt + generated tokens; default and ceiling: the model's */
  contextLength?: number;
  /** --chunked-prefill-size: prefill tokens per step across requests; <= 0 disables chunking; default 2048 */
  chunkedPrefillSize?: number;
  /** --disable-radix-cache */
  disableRadixCache?: boolean;
  /** the model's EOS ids (generation_config.json); they stop generation unless ignoreEos */
  eosTokenIds?: number[];
}

export interface EngineConfig {
  blockSize: number;
  numBlocks: number;
  maxRunningRequests: number;
  maxQueuedRequests: number;
  /** effective: min(option, model, KV pool capacity) */
  contextLength: number;
  /** Infinity when chunking is disabled */
  chunkedPrefillSize: number;
  radixCache: boolean;
  eosTokenIds: number[];
}

export const DEFAULT_KV_CACHE_BYTES = 1024 ** 3;

function positiveInt(value: number | undefined, fallback: number, flag: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) throw new InvalidArgumentError(`${flag} must be a positive integer, got ${value}`, flag);
  return value;
}

/** `bytesPerBlock` prices one block of the pool the model will get (used only for the memory budget) */
export function resolveEngineConfig(model: CausalLM, opts: EngineOptions, bytesPerBlock: (req: KvPoolRequest) => number): EngineConfig {
  const blockSize = positiveInt(opts.blockSize, 16, '--block-size');
  const maxRunningRequests = positiveInt(opts.maxRunningRequests, 256, '--max-running-requests');
  const maxQueuedRequests = opts.maxQueuedRequests === Infinity ? Infinity : positiveInt(opts.maxQueuedRequests, 4096, '--max-queued-requests');
  const modelContext = model.maxContextLength;
  const requestedContext = positiveInt(opts.contextLength, modelContext, '--context-length');
  if (requestedContext > modelContext) {
    throw new InvalidArgumentError(`--context-length ${requestedContext} exceeds the model's maximum of ${modelContext} positions; use at most ${modelContext}`, '--context-length');
  }
  let numBlocks: number;
  if (opts.maxTotalTokens !== undefined) {
    const tokens = positiveInt(opts.maxTotalTokens, 0, '--max-total-tokens');
    numBlocks = Math.floor(tokens / blockSize);
    if (numBlocks < 1) throw new InvalidArgumentError(`--max-total-tokens ${tokens} is smaller than one KV block (${blockSize} tokens)`, '--max-total-tokens');
  } else {
    const budget = opts.kvCacheMemoryBytes ?? DEFAULT_KV_CACHE_BYTES;
    if (!(budget > 0) || !Number.isFinite(budget)) throw new InvalidArgumentError(`KV cache memory budget must be a positive number of bytes, got ${budget}`, 'kvCacheMemoryBytes');
    const perBlock = bytesPerBlock(model.kvRequest(blockSize, 1));
    numBlocks = Math.floor(budget / perBlock);
    if (numBlocks < 1) throw new InvalidArgumentError(`KV cache budget of ${budget} bytes is below one block (${perBlock} bytes); raise it or set --max-total-tokens`, 'kvCacheMemoryBytes');
    // more than every running request at full context cannot be used
    numBlocks = Math.min(numBlocks, Math.ceil(requestedContext / blockSize) * maxRunningRequests);
  }
  const chunk = opts.chunkedPrefillSize ?? 2048;
  if (!Number.isFinite(chunk) || !Number.isInteger(chunk)) throw new InvalidArgumentError(`--chunked-prefill-size must be an integer, got ${chunk}`, '--chunked-prefill-size');
  const eosTokenIds = opts.eosTokenIds ?? [];
  for (const id of eosTokenIds) {
    if (!Number.isInteger(id) || id < 0 || id >= model.vocabSize) throw new InvalidArgumentError(`EOS token id ${id} is outside the vocabulary [0, ${model.vocabSize})`, 'eosTokenIds');
  }
  return {
    blockSize,
    numBlocks,
    maxRunningRequests,
    maxQueuedRequests,
    // a single request must always fit in the pool, or preemption could not make room for it
    contextLength: Math.min(requestedContext, numBlocks * blockSize),
    chunkedPrefillSize: chunk <= 0 ? Infinity : chunk,
    radixCache: !opts.disableRadixCache,
    eosTokenIds: [...eosTokenIds],
  };
}
