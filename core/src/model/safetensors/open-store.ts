/**
 * Finds a model directory's weights: model.safetensors, else model.safetensors.index.json (sharded),
 * the same precedence as transformers.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CheckpointFormatError } from '../../errors.ts';
import { openSafetensors } from './file.ts';
import { openShardedSafetensors } from './sharded.ts';
import { MappedTensorStore } from './store.ts';

export const SINGLE_FILE_NAME = 'model.safetensors';
export const SHARD_INDEX_NAME = 'model.safetensors.index.json';

/** Opens one safetensors file as a TensorStore. */
export async function openSafetensorsStore(path: string): Promise<MappedTensorStore> {
  const file = await openSafetensors(path);
  try {
    return new MappedTensorStore(path, [file]);
  } catch (e) {
    file.close();
    throw e;
  }
}

export async function openCheckpointTensors(dir: string): Promise<MappedTensorStore> {
  const single = join(dir, SINGLE_FILE_NAME);
  if (await exists(single)) return openSafetensorsStore(single);
  const index = join(dir, SHARD_INDEX_NAME);
  if (await exists(index)) return openShardedSafetensors(index);
  throw new CheckpointFormatError(dir, `no ${SINGLE_FILE_NAME} or ${SHARD_INDEX_NAME}; Plexus loads safetensors weights only (convert .bin/.pth checkpoints with transformers' save_pretrained)`);
}

async function exists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
