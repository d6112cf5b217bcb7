/** `plexus generate` pieces: flag parsing, sampling resolution, the --json shape. */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '@plexus/core';
import { DEFAULT_MAX_NEW_TOKENS, parseGenerateFlags } from '../../src/cli/generate/generate-options.ts';
import { toGenerateJson } from '../../src/cli/generate/generate-result.ts';
import { resolveGenerateSampling } from '../../src/cli/generate/generate-sampling.ts';

describe('generate flags', () => {
  it('takes exactly one input and keeps --input-ids as given', () => {
    expect(parseGenerateFlags(['--input-ids', '5, 0,17']).input).toEqual({ kind: 'input-ids', ids: [5, 0, 17] });
    expect(parseGenerateFlags(['--prompt', 'hi']).input).toEqual({ kind: 'prompt', text: 'hi' });
    expect(parseGenerateFlags(['--chat', 'hi']).input).toEqual({ kind: 'chat', text: 'hi' });
    expect(() => parseGenerateFlags([])).toThrow(/give exactly one of.*\(none was given\)/s);
    expect(() => parseGenerateFlags(['--chat', 'a', '--input-ids', '1'])).toThrow(/got --input-ids and --chat/);
  });

  it('parses sampling flags with their ranges', () => {
    const o = parseGenerateFlags(['--prompt', 'x', '--max-new-tokens', '9', '--temperature', '0.7', '--top-p', '0.9', '--top-k', '-1', '--min-p', '0', '--seed', '42', '--top-logprobs', '5', '--json']);
    expect(o.sampling).toEqual({ maxNewTokens: 9, temperature: 0.7, topP: 0.9, topK: -1, minP: 0, seed: 42 });
    expect(o).toMatchObject({ topLogprobs: 5, json: true });
    const bad: Array<[string[], RegExp]> = [
      [['--top-p', '0'], /--top-p must be a number > 0 and ≤ 1/],
      [['--min-p', '1.5'], /--min-p must be a number ≥ 0 and ≤ 1/],
      [['--top-k', '-2'], /--top-k must be an integer ≥ -1/],
      [['--max-new-tokens', '0'], /--max-new-tokens must be an integer ≥ 1/],
      [['--seed', '1.5'], /--seed must be an integer ≥ 0/],
      [['--top-logprobs', '21'], /--top-logprobs may be at most 20/],
      [['--input-ids', '1,,2'], /--input-ids must be comma-separated/],
    ];
    for (const [argv, message] of bad) {
      const run = () => parseGenerateFlags(argv[0] === '--input-ids' ? argv : ['--prompt', 'x', ...argv]);
      expect(run, argv.join(' ')).toThrow(InvalidArgumentError);
      expect(run, argv.join(' ')).toThrow(message);
    }
  });
});

describe('generate sampling', () => {
  const defaults = { temperature: 0.6, topP: 0.95, topK: 20, eosTokenIds: [7], maxNewTokens: 12, repetitionPenalty: 1.1 };

  it('flag > generation_config.json > neutral', () => {
    const fromDefaults = resolveGenerateSampling({}, defaults, { topLogprobs: 0, returnLogprob: false });
    expect(fromDefaults).toMatchObject({ maxNewTokens: 12, temperature: 0.6, topP: 0.95, topK: 20, minP: 0, repetitionPenalty: 1.1 });
    expect(fromDefaults.seed).toBeUndefined();
    const fromFlags = resolveGenerateSampling({ temperature: 0, topK: 1, maxNewTokens: 3, seed: 9 }, defaults, { topLogprobs: 4, returnLogprob: true });
    expect(fromFlags).toMatchObject({ maxNewTokens: 3, temperature: 0, topK: 1, topP: 0.95, seed: 9, topLogprobs: 4, returnLogprob: true });
    const neutral = resolveGenerateSampling({}, { eosTokenIds: [] }, { topLogprobs: 0, returnLogprob: false });
    expect(neutral).toMatchObject({ maxNewTokens: DEFAULT_MAX_NEW_TOKENS, temperature: 1, topP: 1, topK: 0, minP: 0, repetitionPenalty: 1 });
  });
});

describe('generate --json shape', () => {
  it('snake_case fields, one logprobs entry per token, top sorted by logprob descending', () => {
    const json = toGenerateJson([1, 2], [3, 4], 'ab', 'stop', [
      { tokenId: 3, logprob: -0.5, top: [{ tokenId: 9, logprob: -2 }, { tokenId: 3, logprob: -0.5 }, { tokenId: 8, logprob: -1 }] },
      { tokenId: 4, logprob: -0.1, top: [] },
    ]);
    expect(Object.keys(json)).toEqual(['input_ids', 'output_ids', 'text', 'finish_reason', 'logprobs']);
    expect(json.logprobs).toEqual([
      { token_id: 3, logprob: -0.5, top: [{ token_id: 3, logprob: -0.5 }, { token_id: 8, logprob: -1 }, { token_id: 9, logprob: -2 }] },
      { token_id: 4, logprob: -0.1, top: [] },
    ]);
  });
});
