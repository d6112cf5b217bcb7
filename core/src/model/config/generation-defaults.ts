/**
 * Default sampling values from generation_config.json, read like vLLM does: only the fields present are
 * used (no transformers defaults are invented) and `do_sample` is not consulted. EOS ids are merged from
 * generation_config.json and config.json (generation_config first, duplicates dropped).
 */
import { join } from 'node:path';
import { CheckpointFormatError } from '../../errors.ts';
import type { GenerationDefaults } from '../types.ts';
import { isJsonObject, readOptionalJsonFile } from '../json-file.ts';
import { MODEL_CONFIG_NAME } from './model-config.ts';

export const GENERATION_CONFIG_NAME = 'generation_config.json';

export async function readGenerationDefaults(dir: string, modelConfig: Readonly<Record<string, unknown>>): Promise<GenerationDefaults> {
  const path = join(dir, GENERATION_CONFIG_NAME);
  const json = await readOptionalJsonFile(path);
  return parseGenerationDefaults(path, json, join(dir, MODEL_CONFIG_NAME), modelConfig);
}

/** `generation` is the parsed generation_config.json, or undefined when the file is absent. */
export function parseGenerationDefaults(
  generationPath: string,
  generation: unknown,
  modelConfigPath: string,
  modelConfig: Readonly<Record<string, unknown>>,
): GenerationDefaults {
  if (generation !== undefined && !isJsonObject(generation)) {
    throw new CheckpointFormatError(generationPath, 'must be a JSON object');
  }
  const g = (generation ?? {}) as Record<string, unknown>;
  const field = (key: string, valid: (v: number) => boolean, expected: string): number | undefined => {
    const v = g[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v) || !valid(v)) {
      throw new CheckpointFormatError(generationPath, `"${key}" must be ${expected}, got ${JSON.stringify(v)}; fix or remove it`);
    }
    return v;
  };

  const out: GenerationDefaults = {
    eosTokenIds: dedupe([
      ...eosIds(generationPath, g['eos_token_id']),
      ...eosIds(modelConfigPath, modelConfig['eos_token_id']),
    ]),
  };
  const temperature = field('temperature', (v) => v >= 0, 'a number >= 0');
  const topP = field('top_p', (v) => v > 0 && v <= 1, 'a number in (0, 1]');
  const topK = field('top_k', (v) => Number.isInteger(v) && v >= -1, 'an integer >= -1 (0 or -1 = off)');
  const minP = field('min_p', (v) => v >= 0 && v <= 1, 'a number in [0, 1]');
  const repetitionPenalty = field('repetition_penalty', (v) => v > 0, 'a number > 0');
  const maxNewTokens = field('max_new_tokens', (v) => Number.isInteger(v) && v > 0, 'a positive integer');
  if (temperature !== undefined) out.temperature = temperature;
  if (topP !== undefined) out.topP = topP;
  if (topK !== undefined) out.topK = topK;
  if (minP !== undefined) out.minP = minP;
  if (repetitionPenalty !== undefined) out.repetitionPenalty = repetitionPenalty;
  if (maxNewTokens !== undefined) out.maxNewTokens = maxNewTokens;
  return out;
}

function eosIds(path: string, v: unknown): number[] {
  if (v === undefined || v === null) return [];
  const list = Array.isArray(v) ? v : [v];
  for (const id of list) {
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) {
      throw new CheckpointFormatError(path, `"eos_token_id" must be a token id or a list of token ids, got ${JSON.stringify(v)}`);
    }
  }
  return list as number[];
}

function dedupe(ids: number[]): number[] {
  return [...new Set(ids)];
}
