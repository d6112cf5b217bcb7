/** Sampling for `plexus generate`: flag > generation_config.json > neutral default (as the server resolves requests). */
import type { GenerationDefaults, SamplingParams } from '@plexus/core';
import { DEFAULT_MAX_NEW_TOKENS, type SamplingFlags } from './generate-options.ts';

export function resolveGenerateSampling(flags: SamplingFlags, defaults: GenerationDefaults, opts: { topLogprobs: number; returnLogprob: boolean }): SamplingParams {
  const sampling: SamplingParams = {
    maxNewTokens: flags.maxNewTokens ?? defaults.maxNewTokens ?? DEFAULT_MAX_NEW_TOKENS,
    temperature: flags.temperature ?? defaults.temperature ?? 1,
    topP: flags.topP ?? defaults.topP ?? 1,
    topK: flags.topK ?? defaults.topK ?? 0,
    minP: flags.minP ?? defaults.minP ?? 0,
    repetitionPenalty: defaults.repetitionPenalty ?? 1,
    presencePenalty: 0,
    frequencyPenalty: 0,
    // EOS ends generation through the engine's eosTokenIds
    stopTokenIds: [],
    ignoreEos: false,
    minNewTokens: 0,
    topLogprobs: opts.topLogprobs,
    returnLogprob: opts.returnLogprob,
  };
  if (flags.seed !== undefined) sampling.seed = flags.seed;
  return sampling;
}
