/**
 * Turns GenerationFields into the engine's TextGenerationRequests: request value > model's
 * generation_config default > OpenAI default; server caps; the context-length rule; one request per choice.
 */
import type { SamplingParams, TextGenerationRequest } from '@plexus/core';
import { badRequest } from '../errors/api-error.ts';
import type { AppLimits, ServedModel } from '../types.ts';
import type { FieldNames, GenerationFields } from './generation-fields.ts';

/** prompt-independent checks; run before tokenizing so a bad request costs nothing */
export function checkGenerationFields(f: GenerationFields, names: FieldNames, model: ServedModel, limits: AppLimits): void {
  if (f.n > limits.maxN) throw badRequest(`\`${names.n}\` is ${f.n}; this server allows at most ${limits.maxN}.`, names.n);
  if (f.maxTokens !== undefined && f.maxTokens !== null) {
    if (f.maxTokens < 1) throw badRequest(`\`${names.maxTokens}\` must be at least 1, got ${f.maxTokens}.`, names.maxTokens);
    if (f.maxTokens > model.maxModelLen) {
      throw badRequest(
        `\`${names.maxTokens}\` is ${f.maxTokens} but this model's maximum context length is ${model.maxModelLen} tokens.`,
        names.maxTokens,
      );
    }
  }
  if (f.minTokens && f.maxTokens && f.minTokens > f.maxTokens) {
    throw badRequest(`\`${names.minTokens}\` (${f.minTokens}) must not exceed \`${names.maxTokens}\` (${f.maxTokens}).`, names.minTokens);
  }
  const stops = stopList(f.stop);
  if (stops.length > limits.maxStopSequences) {
    throw badRequest(`\`${names.stop}\` has ${stops.length} entries; at most ${limits.maxStopSequences} are allowed.`, names.stop);
  }
  for (const s of stops) {
    if (s.length === 0) throw badRequest(`\`${names.stop}\` must not contain an empty string.`, names.stop);
    if (s.length > limits.maxStopLength) {
      throw badRequest(`\`${names.stop}\` entries may be at most ${limits.maxStopLength} characters long.`, names.stop);
    }
  }
  const ids = f.stopTokenIds ?? [];
  if (ids.length > limits.maxStopSequences) {
    throw badRequest(`\`${names.stopTokenIds}\` has ${ids.length} entries; at most ${limits.maxStopSequences} are allowed.`, names.stopTokenIds);
  }
  const vocab = model.tokenizer.vocabSize;
  const outOfVocab = ids.find((id) => id >= vocab);
  if (outOfVocab !== undefined) {
    throw badRequest(`\`${names.stopTokenIds}\` contains ${outOfVocab}, outside the vocabulary (size ${vocab}).`, names.stopTokenIds);
  }
  if (f.topLogprobs > limits.maxTopLogprobs) {
    throw badRequest(`\`${names.topLogprobs}\` is ${f.topLogprobs}; at most ${limits.maxTopLogprobs} are allowed.`, names.topLogprobs);
  }
  if (f.seed !== undefined && f.seed !== null && !Number.isSafeInteger(f.seed + f.n)) {
    throw badRequest(`\`${names.seed}\` is too large.`, names.seed);
  }
}

export interface PromptRequestOptions {
  idPrefix: string;
  /** used when the request gives no max tokens; receives the room left in the context */
  defaultMaxTokens(roomLeft: number): number;
}

/** n TextGenerationRequests for one tokenized prompt (choice i gets seed + i when a seed is given) */
export function buildTextRequests(
  f: GenerationFields,
  names: FieldNames,
  model: ServedModel,
  promptIds: number[],
  opts: PromptRequestOptions,
): TextGenerationRequest[] {
  checkPromptFits(promptIds.length, f.maxTokens ?? null, names, model);
  const room = model.maxModelLen - promptIds.length;
  const maxNewTokens = f.maxTokens ?? Math.max(1, Math.min(room, opts.defaultMaxTokens(room)));
  const base = samplingParams(f, model, maxNewTokens);
  const stop = stopList(f.stop);
  const skipSpecialTokens = f.skipSpecialTokens ?? true;
  return Array.from({ length: f.n }, (_, i) => ({
    id: `${opts.idPrefix}-${i}`,
    inputIds: promptIds,
    sampling: { ...base, seed: f.seed === undefined || f.seed === null ? undefined : f.seed + i },
    stop,
    skipSpecialTokens,
  }));
}

export function checkPromptFits(promptLen: number, maxTokens: number | null, names: FieldNames, model: ServedModel): void {
  if (promptLen === 0) throw badRequest(`\`${names.prompt}\` is empty after tokenization; send at least one token.`, names.prompt);
  if (promptLen >= model.maxModelLen) {
    throw badRequest(
      `This model's maximum context length is ${model.maxModelLen} tokens, but the prompt has ${promptLen} tokens ` +
        `(no room for any output). Shorten the prompt.`,
      names.prompt,
    );
  }
  if (maxTokens !== null && promptLen + maxTokens > model.maxModelLen) {
    throw badRequest(
      `This model's maximum context length is ${model.maxModelLen} tokens, but you requested ${promptLen + maxTokens} tokens ` +
        `(${promptLen} in the prompt, ${maxTokens} in \`${names.maxTokens}\`). Shorten the prompt or lower \`${names.maxTokens}\`.`,
      names.prompt,
    );
  }
}

function samplingParams(f: GenerationFields, model: ServedModel, maxNewTokens: number): SamplingParams {
  const d = model.defaults;
  const ignoreEos = f.ignoreEos ?? false;
  // EOS ids travel as stop ids unless the client asked to ignore EOS; the engine masks them until minNewTokens
  const eosIds = ignoreEos ? [] : eosTokenIds(model);
  return {
    maxNewTokens,
    temperature: f.temperature ?? d.temperature ?? 1,
    topP: f.topP ?? d.topP ?? 1,
    topK: f.topK ?? d.topK ?? 0,
    minP: f.minP ?? d.minP ?? 0,
    repetitionPenalty: f.repetitionPenalty ?? d.repetitionPenalty ?? 1,
    presencePenalty: f.presencePenalty ?? 0,
    frequencyPenalty: f.frequencyPenalty ?? 0,
    stopTokenIds: [...new Set([...(f.stopTokenIds ?? []), ...eosIds])],
    ignoreEos,
    minNewTokens: Math.min(f.minTokens ?? 0, maxNewTokens),
    topLogprobs: f.returnLogprob ? f.topLogprobs : 0,
    returnLogprob: f.returnLogprob,
  };
}

function eosTokenIds(model: ServedModel): number[] {
  const ids = [...model.defaults.eosTokenIds];
  const eos = model.tokenizer.special.eos;
  if (eos) ids.push(eos.id);
  return ids;
}

export const stopList = (stop: string | string[] | null | undefined): string[] =>
  stop === undefined || stop === null ? [] : typeof stop === 'string' ? [stop] : stop;
