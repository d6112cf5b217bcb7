/**
 * Legacy completions logprobs: `{tokens, token_logprobs, top_logprobs: [{token: logprob}], text_offset}`.
 * Offsets accumulate across stream chunks, so one builder lives per choice.
 */
import type { TextTokenizer, TokenLogprob } from '@plexus/core';
import { tokenText } from './token-text.ts';

export interface LegacyLogprobs {
  tokens: string[];
  token_logprobs: number[];
  top_logprobs: Array<Record<string, number>>;
  text_offset: number[];
}

export class CompletionLogprobsBuilder {
  private offset = 0;
  constructor(private readonly tokenizer: TextTokenizer, private readonly topN: number) {}

  next(logprobs: readonly TokenLogprob[]): LegacyLogprobs {
    const out: LegacyLogprobs = { tokens: [], token_logprobs: [], top_logprobs: [], text_offset: [] };
    for (const lp of logprobs) {
      const token = tokenText(this.tokenizer, lp.tokenId);
      out.tokens.push(token);
      out.token_logprobs.push(lp.logprob);
      const top: Record<string, number> = Object.create(null); // token texts such as "__proto__" stay plain keys
      for (const t of lp.top.slice(0, this.topN)) {
        const text = tokenText(this.tokenizer, t.tokenId);
        if (!(text in top)) top[text] = t.logprob;
      }
      out.top_logprobs.push(top);
      out.text_offset.push(this.offset);
      this.offset += token.length;
    }
    return out;
  }
}

export function mergeLegacy(parts: readonly LegacyLogprobs[]): LegacyLogprobs {
  return {
    tokens: parts.flatMap((p) => p.tokens),
    token_logprobs: parts.flatMap((p) => p.token_logprobs),
    top_logprobs: parts.flatMap((p) => p.top_logprobs),
    text_offset: parts.flatMap((p) => p.text_offset),
  };
}
