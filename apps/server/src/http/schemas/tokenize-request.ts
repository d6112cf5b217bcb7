/** POST /tokenize and POST /detokenize bodies (vLLM/SGLang shapes). */
import * as v from 'valibot';
import { chatMessageSchema } from './chat-completion-request.ts';
import { optionalBool, tokenIds } from './fields.ts';

export const tokenizeRequestSchema = v.looseObject({
  model: v.nullish(v.string()),
  prompt: v.nullish(v.string()),
  messages: v.nullish(v.pipe(v.array(chatMessageSchema), v.minLength(1, 'messages must contain at least one message'))),
  add_special_tokens: optionalBool,
  add_generation_prompt: optionalBool,
  chat_template_kwargs: v.nullish(v.record(v.string(), v.unknown())),
});

export const detokenizeRequestSchema = v.looseObject({
  model: v.nullish(v.string()),
  tokens: tokenIds,
  skip_special_tokens: optionalBool,
});

export type TokenizeRequest = v.InferOutput<typeof tokenizeRequestSchema>;
export type DetokenizeRequest = v.InferOutput<typeof detokenizeRequestSchema>;
