/** The HF reference fixtures of tools/reference/make_dsv4_fixtures.py (test/fixtures/dsv4/<variant>/). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DSV4_FIXTURES_DIR = fileURLToPath(new URL('../../../../test/fixtures/dsv4/', import.meta.url));

export interface ReferenceStep {
  token_id: number;
  logprob: number;
  top: Array<{ token_id: number; logprob: number }>;
}

export interface ReferencePrompt {
  name: string;
  input_ids: number[];
  output_ids: number[];
  logprobs: ReferenceStep[];
  margins: number[];
}

export interface ReferenceDocument {
  variant: string;
  naming: 'transformers' | 'deepseek';
  quantized: boolean;
  max_new_tokens: number;
  rope: Record<'main' | 'compress', { inv_freq: number[]; attention_scaling: number }>;
  hf_config: Record<string, unknown>;
  prompts: ReferencePrompt[];
  probe: { input_ids: number[]; values: Record<string, unknown> };
}

export function fixtureDir(variant: string): string {
  return join(DSV4_FIXTURES_DIR, variant);
}

export function readReference(variant: string): ReferenceDocument {
  return JSON.parse(readFileSync(join(fixtureDir(variant), 'reference.json'), 'utf8')) as ReferenceDocument;
}
