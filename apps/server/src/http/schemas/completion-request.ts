/** POST /v1/completions body (legacy completions). */
import * as v from 'valibot';
import { openAiSamplingEntries, optionalBool, optionalInt, tokenIds } from './fields.ts';

export const completionRequestSchema = v.looseObject({
  ...openAiSamplingEntries,
  prompt: v.union([v.string(), v.array(v.string()), tokenIds, v.array(tokenIds)]),
  /** legacy shape: number of top alternatives per token */
  logprobs: optionalInt(0),
  echo: optionalBool,
  suffix: v.nullish(v.string()),
  best_of: optionalInt(1),
});

export type CompletionRequest = v.InferOutput<typeof completionRequestSchema>;
