/**
 * Cheap checks before any weights are touched: the directory exists, config.json names an architecture
 * some loaded plugin serves (else the ModelRegistry's error: disabled arch, failed or missing plugin),
 * and generation_config.json parses. Serve and generate fail fast here with a message saying what to do.
 */
import { stat } from 'node:fs/promises';
import { CheckpointFormatError, type GenerationDefaults, type Plexus } from '@plexus/core';
import { readGenerationDefaults, readModelConfig } from '@plexus/core/internal';

export interface ModelPreflight {
  dir: string;
  architecture: string;
  config: Readonly<Record<string, unknown>>;
  generation: GenerationDefaults;
  /** config.max_position_embeddings, when present */
  maxPositions: number | undefined;
}

export async function preflightModel(plexus: Plexus, dir: string): Promise<ModelPreflight> {
  const isDir = await stat(dir).then((s) => s.isDirectory(), () => false);
  if (!isDir) {
    throw new CheckpointFormatError(dir, 'not a directory; pass --model-path with a Hugging Face model directory (config.json, *.safetensors, tokenizer.json)');
  }
  const { config, architecture } = await readModelConfig(dir);
  plexus.models.get(architecture);
  const generation = await readGenerationDefaults(dir, config);
  const maxPositions = config['max_position_embeddings'];
  return { dir, architecture, config, generation, maxPositions: Number.isSafeInteger(maxPositions) ? (maxPositions as number) : undefined };
}

/** EOS ids the engine can use: inside the vocabulary the config declares (the engine rejects others) */
export function usableEosIds(preflight: ModelPreflight): number[] {
  const vocab = preflight.config['vocab_size'];
  return typeof vocab === 'number' ? preflight.generation.eosTokenIds.filter((id) => id < vocab) : preflight.generation.eosTokenIds;
}
