/** Reads a HF reference fixture (test/fixtures/models/<variant>/reference.json, see tools/reference/). */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const FIXTURE_MODELS_DIR = fileURLToPath(new URL('../../../../test/fixtures/models/', import.meta.url));
/** the embedded default model (models/plexus-tiny-qwen3) carries a reference.json of the same schema */
export const EMBEDDED_MODEL_DIR = fileURLToPath(new URL('../../../../models/plexus-tiny-qwen3/', import.meta.url));

export interface ReferenceLogprob {
  token_id: number;
  logprob: number;
  top: Array<{ token_id: number; logprob: number }>;
}

export interface ReferencePrompt {
  name: string;
  kind: string;
  input_ids: number[];
  output_ids: number[];
  logprobs: ReferenceLogprob[];
}

export interface ReferenceDocument {
  variant: string;
  architecture: string;
  storage_dtype: string;
  max_new_tokens: number;
  top_n: number;
  rope: { inv_freq: number[]; attention_scaling: number };
  prompts: ReferencePrompt[];
}

export function fixtureDir(variant: string): string {
  return join(FIXTURE_MODELS_DIR, variant);
}

export function readReference(dir: string): ReferenceDocument {
  return JSON.parse(readFileSync(join(dir, 'reference.json'), 'utf8')) as ReferenceDocument;
}
