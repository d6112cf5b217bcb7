/** config.json of a Hugging Face model directory: an object whose `architectures[0]` picks the model plugin. */
import { join } from 'node:path';
import { CheckpointFormatError } from '../../errors.ts';
import { isJsonObject, readJsonFile } from '../json-file.ts';

export const MODEL_CONFIG_NAME = 'config.json';

export interface ModelConfig {
  config: Readonly<Record<string, unknown>>;
  architecture: string;
}

export async function readModelConfig(dir: string): Promise<ModelConfig> {
  const path = join(dir, MODEL_CONFIG_NAME);
  return parseModelConfig(path, await readJsonFile(path));
}

export function parseModelConfig(path: string, json: unknown): ModelConfig {
  if (!isJsonObject(json)) throw new CheckpointFormatError(path, 'must be a JSON object (a Hugging Face model config)');
  const archs = json['architectures'];
  if (!Array.isArray(archs) || archs.length === 0 || !archs.every((a) => typeof a === 'string' && a !== '')) {
    throw new CheckpointFormatError(path, `"architectures" must be a non-empty array of class names such as ["LlamaForCausalLM"], got ${JSON.stringify(archs) ?? 'nothing'}; add it to config.json`);
  }
  return { config: json, architecture: archs[0] as string };
}
