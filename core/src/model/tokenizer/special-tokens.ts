/**
 * Special tokens of a tokenizer_config.json: bos/eos/pad/unk are a string, an AddedToken object
 * ({content, ...}) or null; ids come from the vocabulary (added tokens included).
 */
import { CheckpointFormatError } from '../../errors.ts';
import type { SpecialTokens } from '../types.ts';

export interface SpecialTokenTexts {
  bos_token?: string;
  eos_token?: string;
  pad_token?: string;
  unk_token?: string;
}

export interface ResolvedSpecialTokens {
  special: SpecialTokens;
  /** the special token strings by their transformers names (given to chat templates) */
  texts: SpecialTokenTexts;
}

interface AddedTokenJson { id: number; content: string; special?: boolean }

export function resolveSpecialTokens(
  configPath: string,
  tokenizerConfig: Record<string, unknown>,
  addedTokens: readonly AddedTokenJson[],
  tokenToId: (token: string) => number | undefined,
): ResolvedSpecialTokens {
  const texts: SpecialTokenTexts = {};
  const special: { bos?: { id: number; text: string }; eos?: { id: number; text: string }; pad?: { id: number; text: string }; specialIds: Set<number> } = {
    specialIds: new Set(addedTokens.filter((t) => t.special).map((t) => t.id)),
  };

  const lookup = (key: keyof SpecialTokenTexts, required: boolean): { id: number; text: string } | undefined => {
    const text = tokenText(configPath, key, tokenizerConfig[key]);
    if (text === undefined) return undefined;
    texts[key] = text;
    const id = tokenToId(text);
    if (id === undefined) {
      // bos/eos are used to build prompts and stop generation, so an unknown one is a broken checkpoint
      if (required) throw new CheckpointFormatError(configPath, `${key} ${JSON.stringify(text)} is not in the tokenizer vocabulary; fix ${key} in tokenizer_config.json`);
      return undefined;
    }
    special.specialIds.add(id);
    return { id, text };
  };
  const bos = lookup('bos_token', true);
  const eos = lookup('eos_token', true);
  const pad = lookup('pad_token', false);
  lookup('unk_token', false);
  if (bos) special.bos = bos;
  if (eos) special.eos = eos;
  if (pad) special.pad = pad;

  const extra = tokenizerConfig['additional_special_tokens'];
  if (Array.isArray(extra)) {
    for (const entry of extra) {
      const text = tokenText(configPath, 'additional_special_tokens', entry);
      const id = text === undefined ? undefined : tokenToId(text);
      if (id !== undefined) special.specialIds.add(id);
    }
  }
  return { special, texts };
}

function tokenText(configPath: string, key: string, value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && typeof (value as { content?: unknown }).content === 'string') {
    return (value as { content: string }).content;
  }
  throw new CheckpointFormatError(configPath, `${key} must be a token string or an AddedToken object with "content", got ${JSON.stringify(value)}`);
}
