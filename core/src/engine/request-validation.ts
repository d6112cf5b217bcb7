/** Checks a GenerateRequest before it reaches the scheduler: bad input gets a clear error, never a crash. */
import { InvalidArgumentError } from '../errors.ts';
import type { GenerateRequest, SamplingParams } from './types.ts';

function fail(message: string, param: string): never {
  throw new InvalidArgumentError(message, param);
}

function isInt(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x);
}

function finite(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}

export function validateGenerateRequest(req: GenerateRequest, vocabSize: number, contextLength: number): void {
  if (!req || typeof req !== 'object') fail('request must be an object', 'request');
  if (typeof req.id !== 'string' || req.id.length === 0) fail('request id must be a non-empty string', 'id');
  const ids = req.inputIds;
  if (!Array.isArray(ids) || ids.length === 0) fail('input_ids must be a non-empty array of token ids', 'input_ids');
  for (let i = 0; i < ids.length; i++) {
    const t = ids[i];
    if (!isInt(t) || t < 0 || t >= vocabSize) fail(`input_ids[${i}] = ${String(t)} is not a token id in [0, ${vocabSize})`, 'input_ids');
  }
  if (ids.length >= contextLength) {
    fail(`the prompt has ${ids.length} tokens but the context length is ${contextLength} (prompt plus at least one generated token must fit); shorten the prompt`, 'input_ids');
  }
  validateSampling(req.sampling, vocabSize);
}

function validateSampling(s: SamplingParams, vocabSize: number): void {
  if (!s || typeof s !== 'object') fail('sampling params must be an object', 'sampling_params');
  if (!isInt(s.maxNewTokens) || s.maxNewTokens < 0) fail(`max_new_tokens must be an integer >= 0, got ${String(s.maxNewTokens)}`, 'max_new_tokens');
  if (!finite(s.temperature) || s.temperature < 0) fail(`temperature must be a finite number >= 0, got ${String(s.temperature)}`, 'temperature');
  if (!finite(s.topP) || s.topP <= 0 || s.topP > 1) fail(`top_p must be in (0, 1], got ${String(s.topP)}`, 'top_p');
  if (!isInt(s.topK) || s.topK < -1) fail(`top_k must be an integer >= -1 (0 or -1 = off), got ${String(s.topK)}`, 'top_k');
  if (!finite(s.minP) || s.minP < 0 || s.minP > 1) fail(`min_p must be in [0, 1], got ${String(s.minP)}`, 'min_p');
  if (!finite(s.repetitionPenalty) || s.repetitionPenalty <= 0) fail(`repetition_penalty must be > 0, got ${String(s.repetitionPenalty)}`, 'repetition_penalty');
  if (!finite(s.presencePenalty)) fail(`presence_penalty must be a finite number, got ${String(s.presencePenalty)}`, 'presence_penalty');
  if (!finite(s.frequencyPenalty)) fail(`frequency_penalty must be a finite number, got ${String(s.frequencyPenalty)}`, 'frequency_penalty');
  if (!isInt(s.minNewTokens) || s.minNewTokens < 0) fail(`min_new_tokens must be an integer >= 0, got ${String(s.minNewTokens)}`, 'min_new_tokens');
  if (!isInt(s.topLogprobs) || s.topLogprobs < 0 || s.topLogprobs > vocabSize) fail(`top_logprobs must be an integer in [0, ${vocabSize}], got ${String(s.topLogprobs)}`, 'top_logprobs');
  if (typeof s.ignoreEos !== 'boolean') fail('ignore_eos must be a boolean', 'ignore_eos');
  if (typeof s.returnLogprob !== 'boolean') fail('return_logprob must be a boolean', 'return_logprob');
  if (s.seed !== undefined && !isInt(s.seed)) fail(`seed must be a safe integer, got ${String(s.seed)}`, 'seed');
  if (!Array.isArray(s.stopTokenIds)) fail('stop_token_ids must be an array', 'stop_token_ids');
  for (const id of s.stopTokenIds) {
    if (!isInt(id) || id < 0 || id >= vocabSize) fail(`stop_token_ids entry ${String(id)} is not a token id in [0, ${vocabSize})`, 'stop_token_ids');
  }
}
