/**
 * Sharded checkpoints: model.safetensors.index.json maps every tensor name to the shard file holding it.
 * The index is validated against the shards: every listed file exists inside the model directory, every
 * mapped tensor is in its file, and no tensor appears in two files.
 */
import { stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, normalize, sep } from 'node:path';
import { CheckpointFormatError } from '../../errors.ts';
import { readJsonFile } from '../json-file.ts';
import { openSafetensors } from './file.ts';
import type { SafetensorsFile } from './file.ts';
import { MappedTensorStore } from './store.ts';

export async function openShardedSafetensors(indexPath: string): Promise<MappedTensorStore> {
  const weightMap = parseWeightMap(indexPath, await readJsonFile(indexPath));
  const dir = dirname(indexPath);

  const tensorsByFile = new Map<string, string[]>();
  for (const [tensor, file] of Object.entries(weightMap)) {
    const list = tensorsByFile.get(file);
    if (list) list.push(tensor); else tensorsByFile.set(file, [tensor]);
  }

  for (const [file, tensors] of tensorsByFile) {
    const path = join(dir, file);
    if (!(await isFile(path))) {
      throw new CheckpointFormatError(path, `shard listed in ${indexPath} is missing; download the complete checkpoint`, tensors[0]);
    }
  }

  const opened: SafetensorsFile[] = [];
  try {
    for (const [file, tensors] of tensorsByFile) {
      const shard = await openSafetensors(join(dir, file));
      opened.push(shard);
      for (const tensor of tensors) {
        if (!shard.tensors.has(tensor)) {
          throw new CheckpointFormatError(shard.path, `listed in ${indexPath} but absent from this shard; the index and shards do not match`, tensor);
        }
      }
    }
    return new MappedTensorStore(indexPath, opened);
  } catch (e) {
    for (const f of opened) f.close();
    throw e;
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

function parseWeightMap(indexPath: string, json: unknown): Record<string, string> {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new CheckpointFormatError(indexPath, 'must be a JSON object with a "weight_map" object');
  }
  const map = (json as Record<string, unknown>)['weight_map'];
  if (typeof map !== 'object' || map === null || Array.isArray(map)) {
    throw new CheckpointFormatError(indexPath, '"weight_map" must be an object mapping tensor names to shard file names');
  }
  const entries = Object.entries(map);
  if (entries.length === 0) throw new CheckpointFormatError(indexPath, '"weight_map" lists no tensors');
  for (const [tensor, file] of entries) {
    if (typeof file !== 'string' || file === '') {
      throw new CheckpointFormatError(indexPath, `weight_map value must be a shard file name, got ${JSON.stringify(file)}`, tensor);
    }
    // shards live inside the model directory: refuse absolute paths and '..' escapes
    const n = normalize(file);
    if (isAbsolute(file) || n === '..' || n.startsWith(`..${sep}`)) {
      throw new CheckpointFormatError(indexPath, `shard path ${JSON.stringify(file)} points outside the model directory`, tensor);
    }
  }
  return map as Record<string, string>;
}
