/** The legacy/native `prompt` forms (text, texts, token ids, lists of token ids) → token id lists. */
import type { TextTokenizer } from '@plexus/core';
import { badRequest } from '../errors/api-error.ts';

export type PromptInput = string | string[] | number[] | number[][];

export function encodePrompts(tokenizer: TextTokenizer, prompt: PromptInput, param: string, maxPrompts: number): number[][] {
  const list = isBatch(prompt) ? prompt : [prompt];
  if (list.length === 0) throw badRequest(`\`${param}\` is an empty list.`, param);
  if (list.length > maxPrompts) throw badRequest(`\`${param}\` has ${list.length} prompts; at most ${maxPrompts} are allowed.`, param);
  return list.map((p, i) => {
    const name = list.length > 1 ? `${param}[${i}]` : param;
    if (typeof p === 'string') return tokenizer.encode(p);
    checkTokenIds(p, tokenizer.vocabSize, name);
    return p;
  });
}

export function checkTokenIds(ids: readonly number[], vocabSize: number, param: string): void {
  const bad = ids.find((id) => id >= vocabSize);
  if (bad !== undefined) throw badRequest(`\`${param}\` contains token id ${bad}, outside the vocabulary (size ${vocabSize}).`, param);
}

/** a list of prompts (strings or id lists) as opposed to one prompt given as an id list */
function isBatch(prompt: PromptInput): prompt is string[] | number[][] {
  return Array.isArray(prompt) && prompt.length > 0 && typeof prompt[0] !== 'number';
}
