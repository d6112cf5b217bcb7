/** Reads a JSON file of a model directory; every failure is a CheckpointFormatError naming the file. */
import { readFile } from 'node:fs/promises';
import { CheckpointFormatError } from '../errors.ts';

export async function readJsonFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CheckpointFormatError(path, code === 'ENOENT' ? 'file not found' : `cannot read (${code ?? (e as Error).message})`, undefined, { cause: e });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new CheckpointFormatError(path, `not valid JSON (${(e as Error).message})`, undefined, { cause: e });
  }
}

/** Like readJsonFile, but a missing file gives undefined. */
export async function readOptionalJsonFile(path: string): Promise<unknown> {
  try {
    return await readJsonFile(path);
  } catch (e) {
    if (e instanceof CheckpointFormatError && (e.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') return undefined;
    throw e;
  }
}

export function isJsonObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
