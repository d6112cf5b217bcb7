/**
 * Known request fields this server cannot honour are refused with a 400 naming the field, never silently
 * dropped (silent drops are the most common complaint about local servers). Harmless metadata passes.
 */
import { unsupportedField } from '../errors/api-error.ts';
import type { ChatCompletionRequest } from '../schemas/chat-completion-request.ts';
import type { CompletionRequest } from '../schemas/completion-request.ts';
import type { GenerateRequestBody } from '../schemas/generate-request.ts';
import type { ServedModel } from '../types.ts';

type CommonFields = Pick<ChatCompletionRequest, 'logit_bias' | 'response_format' | 'include_stop_str_in_output'>;

function rejectCommon(req: CommonFields): void {
  if (req.logit_bias && Object.keys(req.logit_bias).length > 0) {
    throw unsupportedField('logit_bias', 'logit bias is not implemented');
  }
  const format = req.response_format?.type;
  if (format !== undefined && format !== 'text') {
    throw unsupportedField('response_format', `structured output (\`${format}\`) is not implemented; only "text" is accepted`);
  }
  if (req.include_stop_str_in_output) {
    throw unsupportedField('include_stop_str_in_output', 'stop strings are always trimmed from the output');
  }
}

export function rejectUnsupportedChat(req: ChatCompletionRequest, model: ServedModel): void {
  rejectCommon(req);
  // tools / tool_choice / parallel_tool_calls: see tools/tool-plan.ts
  if (req.functions && req.functions.length > 0) throw unsupportedField('functions', 'use `tools` (function calling is not implemented)');
  if (req.function_call !== undefined && req.function_call !== null && req.function_call !== 'none') {
    throw unsupportedField('function_call', 'function calling is not implemented');
  }
  if (req.reasoning_effort !== undefined && req.reasoning_effort !== null && !model.reasoningParser) {
    throw unsupportedField('reasoning_effort', 'no reasoning parser is active for this model (use chat_template_kwargs to steer the template)');
  }
  if (req.continue_final_message) {
    throw unsupportedField('continue_final_message', 'continuing the final assistant message is not implemented');
  }
  if (req.modalities && req.modalities.some((m) => m !== 'text')) {
    throw unsupportedField('modalities', 'only text output is available');
  }
  if (req.audio !== undefined && req.audio !== null) throw unsupportedField('audio', 'audio output is not available');
  if (req.prediction !== undefined && req.prediction !== null) {
    throw unsupportedField('prediction', 'predicted outputs are not implemented');
  }
  if (req.top_logprobs && !req.logprobs) {
    throw unsupportedField('top_logprobs', '`top_logprobs` needs `logprobs: true`');
  }
}

export function rejectUnsupportedCompletion(req: CompletionRequest): void {
  rejectCommon(req);
  if (req.echo) throw unsupportedField('echo', 'echoing the prompt is not implemented');
  if (req.suffix) throw unsupportedField('suffix', 'fill-in-the-middle is not implemented');
  if (req.best_of !== undefined && req.best_of !== null && req.best_of !== (req.n ?? 1)) {
    throw unsupportedField('best_of', 'server-side best-of selection is not implemented; `best_of` must equal `n`');
  }
}

export function rejectUnsupportedGenerate(req: GenerateRequestBody): void {
  const sp = req.sampling_params;
  for (const key of ['json_schema', 'regex', 'ebnf'] as const) {
    if (sp?.[key] !== undefined && sp?.[key] !== null) {
      throw unsupportedField(`sampling_params.${key}`, 'constrained decoding is not implemented');
    }
  }
  if (sp?.logit_bias && Object.keys(sp.logit_bias).length > 0) {
    throw unsupportedField('sampling_params.logit_bias', 'logit bias is not implemented');
  }
  if (req.logprob_start_len !== undefined && req.logprob_start_len !== null && req.logprob_start_len !== -1) {
    throw unsupportedField('logprob_start_len', 'prompt logprobs are not implemented');
  }
  if (req.image_data !== undefined && req.image_data !== null) throw unsupportedField('image_data', 'this server serves text-only models');
  if (req.lora_path !== undefined && req.lora_path !== null) throw unsupportedField('lora_path', 'LoRA adapters are not implemented');
}
