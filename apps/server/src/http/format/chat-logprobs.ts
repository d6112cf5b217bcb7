/** Chat-shape logprobs: `{content: [{token, logprob, bytes, top_logprobs: [{token, logprob, bytes}]}]}`. */
import type { TextTokenizer, TokenLogprob } from '@plexus/core';
import { tokenText, utf8Bytes } from './token-text.ts';

export interface ChatTokenLogprob {
  token: string;
  logprob: number;
  bytes: number[];
  top_logprobs: Array<{ token: string; logprob: number; bytes: number[] }>;
}

export function chatLogprobs(tokenizer: TextTokenizer, logprobs: readonly TokenLogprob[], topN: number): ChatTokenLogprob[] {
  return logprobs.map((lp) => {
    const token = tokenText(tokenizer, lp.tokenId);
    return {
      token,
      logprob: lp.logprob,
      bytes: utf8Bytes(token),
      top_logprobs: lp.top.slice(0, topN).map((t) => {
        const text = tokenText(tokenizer, t.tokenId);
        return { token: text, logprob: t.logprob, bytes: utf8Bytes(text) };
      }),
    };
  });
}
