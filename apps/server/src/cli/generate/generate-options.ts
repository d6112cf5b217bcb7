/** `plexus generate` flags → validated values (bad input exits 2 before anything is loaded). */
import { InvalidArgumentError } from '@plexus/core';
import { parseFlags, parseIntFlag, parseNumberFlag, parseOptionalInt, type FlagSpec } from '../parse-flags.ts';
import { RUNTIME_FLAGS, RUNTIME_USAGE } from '../runtime-flags.ts';

export const DEFAULT_MAX_NEW_TOKENS = 64;
/** more alternatives per token than any client needs; keeps --json output bounded */
export const MAX_TOP_LOGPROBS = 20;

export const GENERATE_FLAGS = {
  ...RUNTIME_FLAGS,
  'model-path': { type: 'string' },
  prompt: { type: 'string' },
  'input-ids': { type: 'string' },
  chat: { type: 'string' },
  'max-new-tokens': { type: 'string' },
  temperature: { type: 'string' },
  'top-p': { type: 'string' },
  'top-k': { type: 'string' },
  'min-p': { type: 'string' },
  seed: { type: 'string' },
  'top-logprobs': { type: 'string' },
  json: { type: 'boolean', default: false },
} as const satisfies FlagSpec;

export const GENERATE_USAGE = [
  'plexus generate [--model-path DIR] (--prompt TEXT | --input-ids 1,2,3 | --chat TEXT)',
  `  [--max-new-tokens N (default: generation_config.json, else ${DEFAULT_MAX_NEW_TOKENS})] [--temperature T] [--top-p P] [--top-k K]`,
  `  [--min-p P] [--seed S] [--top-logprobs N (≤ ${MAX_TOP_LOGPROBS})] [--json] ${RUNTIME_USAGE}`,
  '  --input-ids are fed as given (no BOS, no template); --prompt is tokenized as tokenizer_config.json says;',
  '  --chat renders the chat template with a generation prompt. Absent sampling flags take generation_config.json',
  '  values. --json prints one object {input_ids, output_ids, text, finish_reason, logprobs}; otherwise the text streams.',
].join('\n');

export type PromptInput = { kind: 'prompt'; text: string } | { kind: 'input-ids'; ids: number[] } | { kind: 'chat'; text: string };

/** sampling flags as given; undefined = take the model's default */
export interface SamplingFlags {
  maxNewTokens?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  minP?: number;
  seed?: number;
}

export interface GenerateOptions {
  plugin: string[];
  strictEnv: boolean;
  modelPath: string | undefined;
  input: PromptInput;
  sampling: SamplingFlags;
  topLogprobs: number;
  json: boolean;
}

export function parseGenerateFlags(argv: string[]): GenerateOptions {
  const f = parseFlags(argv, GENERATE_FLAGS, GENERATE_USAGE);
  const sampling: SamplingFlags = {};
  const put = <K extends keyof SamplingFlags>(key: K, value: number | undefined) => {
    if (value !== undefined) sampling[key] = value;
  };
  put('maxNewTokens', f['max-new-tokens'] === undefined ? undefined : parseIntFlag('max-new-tokens', f['max-new-tokens'], 0, 1));
  put('temperature', parseNumberFlag('temperature', f.temperature, { min: 0 }));
  put('topP', parseNumberFlag('top-p', f['top-p'], { min: 0, max: 1, minExclusive: true }));
  put('topK', parseOptionalInt('top-k', f['top-k'], -1));
  put('minP', parseNumberFlag('min-p', f['min-p'], { min: 0, max: 1 }));
  put('seed', parseOptionalInt('seed', f.seed, 0));
  const topLogprobs = parseOptionalInt('top-logprobs', f['top-logprobs'], 0) ?? 0;
  if (topLogprobs > MAX_TOP_LOGPROBS) throw new InvalidArgumentError(`--top-logprobs may be at most ${MAX_TOP_LOGPROBS}, got ${topLogprobs}`, 'top-logprobs');
  if (f['model-path'] !== undefined && f['model-path'].trim() === '') throw new InvalidArgumentError('--model-path must not be empty', 'model-path');
  return {
    plugin: f.plugin ?? [],
    strictEnv: f['strict-env'] ?? false,
    modelPath: f['model-path'],
    input: promptInput(f.prompt, f['input-ids'], f.chat),
    sampling,
    topLogprobs,
    json: f.json ?? false,
  };
}

function promptInput(prompt: string | undefined, inputIds: string | undefined, chat: string | undefined): PromptInput {
  const given = [prompt !== undefined && '--prompt', inputIds !== undefined && '--input-ids', chat !== undefined && '--chat'].filter(Boolean);
  if (given.length !== 1) {
    const what = given.length === 0 ? 'none was given' : `got ${given.join(' and ')}`;
    throw new InvalidArgumentError(`give exactly one of --prompt TEXT, --input-ids 1,2,3 or --chat TEXT (${what})\nusage: ${GENERATE_USAGE}`);
  }
  if (inputIds !== undefined) return { kind: 'input-ids', ids: parseIdList(inputIds) };
  if (chat !== undefined) return { kind: 'chat', text: chat };
  return { kind: 'prompt', text: prompt! };
}

/** "1,2,3" → [1, 2, 3]: non-negative integers, at least one (the vocabulary bound is checked once the model is known) */
export function parseIdList(text: string): number[] {
  const items = text.split(',').map((s) => s.trim());
  const bad = items.find((s) => !/^\d+$/.test(s) || !Number.isSafeInteger(Number(s)));
  if (items.length === 0 || bad !== undefined) {
    throw new InvalidArgumentError(`--input-ids must be comma-separated non-negative token ids such as 1,2,3; '${bad ?? text}' is not one`, 'input-ids');
  }
  return items.map(Number);
}
