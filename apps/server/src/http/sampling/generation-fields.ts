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
