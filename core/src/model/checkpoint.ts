/**
 * Loads a Hugging Face model directory: config.json, the safetensors weights (single or sharded, mmapped,
 * zero copy) and generation_config.json. Looking the architecture up in the ModelRegistry is the runtime's job.
 */
import { stat } from 'node:fs/promises';
import { CheckpointFormatError } from '../errors.ts';
import type { Checkpoint } from './types.ts';
import { readModelConfig } from './config/model-config.ts';
import { readGenerationDefaults } from './config/generation-defaults.ts';
import { openCheckpointTensors } from './safetensors/open-store.ts';

export async function loadCheckpoint(dir: string): Promise<Checkpoint> {
  if (!(await isDirectory(dir))) {
    throw new CheckpointFormatError(dir, 'not a directory; pass a Hugging Face model directory (config.json, *.safetensors, tokenizer.json)');
  }
  // configs first: a bad config must not leave files mapped
  const { config, architecture } = await readModelConfig(dir);
  const generation = await readGenerationDefaults(dir, config);
  const tensors = await openCheckpointTensors(dir);
  return { dir, config, architecture, tensors, generation };
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}
