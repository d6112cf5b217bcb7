/** The exact `plexus generate --json` object (snake_case, one logprobs entry per generated token, top best first). */
import type { FinishReason, TokenLogprob } from '@plexus/core';

export interface GenerateJson {
  input_ids: number[];
  output_ids: number[];
  text: string;
  finish_reason: Exclude<FinishReason, 'abort'>;
  logprobs: Array<{ token_id: number; logprob: number; top: Array<{ token_id: number; logprob: number }> }>;
}

export function toGenerateJson(inputIds: number[], outputIds: number[], text: string, finishReason: Exclude<FinishReason, 'abort'>, logprobs: TokenLogprob[]): GenerateJson {
  return {
    input_ids: inputIds,
    output_ids: outputIds,
    text,
    finish_reason: finishReason,
    logprobs: logprobs.map((l) => ({
      token_id: l.tokenId,
      logprob: l.logprob,
      top: [...l.top].sort((a, b) => b.logprob - a.logprob || a.tokenId - b.tokenId).map((t) => ({ token_id: t.tokenId, logprob: t.logprob })),
    })),
  };
}
