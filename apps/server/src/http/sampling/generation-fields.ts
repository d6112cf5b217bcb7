/**
 * Endpoint-neutral generation fields: each endpoint maps its own field names onto these, so one resolver
 * applies the model defaults, the server limits and the context-length rule to all of them.
 */
export interface GenerationFields {
  maxTokens?: number | null;
  minTokens?: number | null;
  temperature?: number | null;
  topP?: number | null;
  topK?: number | null;
  minP?: number | null;
  seed?: number | null;
  presencePenalty?: number | null;
  frequencyPenalty?: number | null;
  repetitionPenalty?: number | null;
  stop?: string | string[] | null;
  stopTokenIds?: number[] | null;
  ignoreEos?: boolean | null;
  skipSpecialTokens?: boolean | null;
  n: number;
  returnLogprob: boolean;
  topLogprobs: number;
}

/** the request's own name for each field, so errors name what the client sent */
export interface FieldNames {
  prompt: string;
  maxTokens: string;
  minTokens: string;
  stop: string;
  stopTokenIds: string;
  n: string;
  topLogprobs: string;
  seed: string;
}

export const OPENAI_FIELD_NAMES: Omit<FieldNames, 'prompt' | 'maxTokens' | 'topLogprobs'> = {
  minTokens: 'min_tokens',
  stop: 'stop',
  stopTokenIds: 'stop_token_ids',
  n: 'n',
  seed: 'seed',
};

/** the sampling fields chat and legacy completions share, under their OpenAI names */
export interface OpenAiSamplingFields {
  min_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  top_k?: number | null;
  min_p?: number | null;
  seed?: number | null;
  presence_penalty?: number | null;
  frequency_penalty?: number | null;
  repetition_penalty?: number | null;
  stop?: string | string[] | null;
  stop_token_ids?: number[] | null;
  ignore_eos?: boolean | null;
}

/** maps the OpenAI sampling fields both completion endpoints accept onto GenerationFields */
export function openAiSamplingFields(req: OpenAiSamplingFields) {
  return {
    minTokens: req.min_tokens,
    temperature: req.temperature,
    topP: req.top_p,
    topK: req.top_k,
    minP: req.min_p,
    seed: req.seed,
    presencePenalty: req.presence_penalty,
    frequencyPenalty: req.frequency_penalty,
    repetitionPenalty: req.repetition_penalty,
    stop: req.stop,
    stopTokenIds: req.stop_token_ids,
    ignoreEos: req.ignore_eos,
  } satisfies Partial<GenerationFields>;
}
