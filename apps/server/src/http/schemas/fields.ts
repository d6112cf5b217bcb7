/** valibot building blocks shared by the request schemas. `nullish` everywhere: clients send null for "unset". */
import * as v from 'valibot';

export const optionalInt = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  v.nullish(v.pipe(v.number(), v.safeInteger(), v.minValue(min), v.maxValue(max)));

export const optionalNumber = (min: number, max: number) =>
  v.nullish(v.pipe(v.number(), v.minValue(min), v.maxValue(max)));

export const optionalBool = v.nullish(v.boolean());

export const tokenIds = v.array(v.pipe(v.number(), v.safeInteger(), v.minValue(0)));

/** a string or a list of strings (stop, prompt batches) */
export const stringOrList = v.union([v.string(), v.array(v.string())]);

/**
 * Sampling fields common to the OpenAI endpoints (chat and legacy completions), with their value ranges.
 * Caps that depend on the server's limits (n, stop list length, top_logprobs) are checked later with the limits.
 */
export const openAiSamplingEntries = {
  model: v.nullish(v.string()),
  stream: optionalBool,
  stream_options: v.nullish(v.looseObject({ include_usage: optionalBool, continuous_usage_stats: optionalBool })),
  n: optionalInt(1),
  stop: v.nullish(stringOrList),
  max_tokens: optionalInt(Number.MIN_SAFE_INTEGER),
  temperature: optionalNumber(0, 1e6),
  top_p: v.nullish(v.pipe(v.number(), v.gtValue(0), v.maxValue(1))),
  top_k: optionalInt(-1),
  min_p: optionalNumber(0, 1),
  seed: optionalInt(Number.MIN_SAFE_INTEGER),
  presence_penalty: optionalNumber(-2, 2),
  frequency_penalty: optionalNumber(-2, 2),
  repetition_penalty: v.nullish(v.pipe(v.number(), v.gtValue(0), v.maxValue(100))),
  ignore_eos: optionalBool,
  min_tokens: optionalInt(0),
  stop_token_ids: v.nullish(tokenIds),
  skip_special_tokens: optionalBool,
  // known fields this server may not honour: typed loosely here, judged in reject-unsupported.ts
  logit_bias: v.nullish(v.record(v.string(), v.number())),
  response_format: v.nullish(v.looseObject({ type: v.string() })),
  include_stop_str_in_output: optionalBool,
  user: v.nullish(v.string()),
  request_id: v.nullish(v.string()),
  priority: optionalInt(Number.MIN_SAFE_INTEGER),
} as const;
