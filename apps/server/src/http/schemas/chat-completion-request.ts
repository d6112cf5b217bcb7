/** POST /v1/chat/completions body. */
import * as v from 'valibot';
import { openAiSamplingEntries, optionalBool, optionalInt } from './fields.ts';

const contentPart = v.looseObject({ type: v.string(), text: v.nullish(v.string()) });

export const chatMessageSchema = v.looseObject({
  role: v.pipe(v.string(), v.minLength(1)),
  content: v.nullish(v.union([v.string(), v.array(contentPart)])),
  name: v.nullish(v.string()),
});

export const chatCompletionRequestSchema = v.looseObject({
  ...openAiSamplingEntries,
  messages: v.pipe(v.array(chatMessageSchema), v.minLength(1, 'messages must contain at least one message')),
  max_completion_tokens: optionalInt(Number.MIN_SAFE_INTEGER),
  logprobs: optionalBool,
  top_logprobs: optionalInt(0),
  chat_template_kwargs: v.nullish(v.record(v.string(), v.unknown())),
  add_generation_prompt: optionalBool,
  continue_final_message: optionalBool,
  tools: v.nullish(v.array(v.unknown())),
  tool_choice: v.nullish(v.unknown()),
  parallel_tool_calls: optionalBool,
  functions: v.nullish(v.array(v.unknown())),
  function_call: v.nullish(v.unknown()),
  reasoning_effort: v.nullish(v.string()),
  modalities: v.nullish(v.array(v.string())),
  audio: v.nullish(v.unknown()),
  prediction: v.nullish(v.unknown()),
  store: optionalBool,
  metadata: v.nullish(v.record(v.string(), v.unknown())),
  service_tier: v.nullish(v.string()),
});

export type ChatCompletionRequest = v.InferOutput<typeof chatCompletionRequestSchema>;
export type ChatMessageInput = v.InferOutput<typeof chatMessageSchema>;
