/** POST /generate body (SGLang native): text or input_ids, sampling_params, logprob options, stream. */
import * as v from 'valibot';
import { optionalBool, optionalInt, optionalNumber, stringOrList, tokenIds } from './fields.ts';

export const generateSamplingSchema = v.looseObject({
  max_new_tokens: optionalInt(Number.MIN_SAFE_INTEGER),
  min_new_tokens: optionalInt(0),
  temperature: optionalNumber(0, 1e6),
  top_p: v.nullish(v.pipe(v.number(), v.gtValue(0), v.maxValue(1))),
  top_k: optionalInt(-1),
  min_p: optionalNumber(0, 1),
  presence_penalty: optionalNumber(-2, 2),
  frequency_penalty: optionalNumber(-2, 2),
  repetition_penalty: v.nullish(v.pipe(v.number(), v.gtValue(0), v.maxValue(100))),
  stop: v.nullish(stringOrList),
  stop_token_ids: v.nullish(tokenIds),
  ignore_eos: optionalBool,
  skip_special_tokens: optionalBool,
  n: optionalInt(1),
  seed: optionalInt(Number.MIN_SAFE_INTEGER),
  sampling_seed: optionalInt(Number.MIN_SAFE_INTEGER),
  // constrained decoding: known to SGLang users, not implemented here
  json_schema: v.nullish(v.unknown()),
  regex: v.nullish(v.unknown()),
  ebnf: v.nullish(v.unknown()),
  logit_bias: v.nullish(v.record(v.string(), v.number())),
});

export const generateRequestSchema = v.looseObject({
  model: v.nullish(v.string()),
  text: v.nullish(stringOrList),
  input_ids: v.nullish(v.union([tokenIds, v.array(tokenIds)])),
  sampling_params: v.nullish(generateSamplingSchema),
  return_logprob: optionalBool,
  top_logprobs_num: optionalInt(0),
  logprob_start_len: optionalInt(-1),
  return_text_in_logprobs: optionalBool,
  stream: optionalBool,
  rid: v.nullish(v.union([v.string(), v.array(v.string())])),
  image_data: v.nullish(v.unknown()),
  lora_path: v.nullish(v.unknown()),
});

export type GenerateRequestBody = v.InferOutput<typeof generateRequestSchema>;
export type GenerateSamplingBody = v.InferOutput<typeof generateSamplingSchema>;
