/**
 * One .safetensors file: the header is read with plain file reads and fully validated, and only then
 * is the file mmapped; tensors are views over the mapping (zero copy).
 */
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { mapFile, Tensor } from '@plexus/native';
import { CheckpointFormatError } from '../../errors.ts';
import { LENGTH_PREFIX_BYTES, parseHeaderJson, parseHeaderLength } from './header.ts';
import type { SafetensorsHeader } from './header.ts';

export interface SafetensorsFile {
  readonly path: string;
  readonly header: SafetensorsHeader;
  readonly tensors: ReadonlyMap<string, Tensor>;
  /** bytes of tensor data */
  readonly dataBytes: number;
  /** unmaps the file; its tensors must not be used afterwards */
  close(): void;
}

/** Reads and validates the header of `path` without mapping the data. */
export async function readSafetensorsHeader(path: string): Promise<SafetensorsHeader & { fileSize: number }> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (e) {
    throw new CheckpointFormatError(path, `cannot open (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); check the path and permissions`, undefined, { cause: e });
  }
  try {
    const { size: fileSize } = await handle.stat();
    const prefix = new Uint8Array(Math.min(LENGTH_PREFIX_BYTES, fileSize));
    await readExactly(path, handle, prefix, 0);
    const headerLength = parseHeaderLength(path, prefix, fileSize);
    const headerBytes = new Uint8Array(headerLength);
    await readExactly(path, handle, headerBytes, LENGTH_PREFIX_BYTES);
    return { ...parseHeaderJson(path, headerBytes, fileSize), fileSize };
  } finally {
    await handle.close();
  }
}

export async function openSafetensors(path: string): Promise<SafetensorsFile> {
  const header = await readSafetensorsHeader(path);
  let mapped;
  try {
    mapped = mapFile(path);
  } catch (e) {
    // a missing native addon is not a checkpoint problem: let its own error (with the rebuild hint) through
    if ((e as { code?: unknown }).code === 'native_addon') throw e;
    throw new CheckpointFormatError(path, `cannot mmap (${(e as Error).message})`, undefined, { cause: e });
  }
  const { buffer } = mapped;
  if (buffer.byteLength !== header.fileSize) {
    mapped.close();
    throw new CheckpointFormatError(path, `file changed while loading (${header.fileSize} bytes at validation, ${buffer.byteLength} when mapped); retry when nothing writes to it`);
  }
  const tensors = new Map<string, Tensor>();
  for (const e of header.entries) {
    tensors.set(e.name, new Tensor(e.dtype, e.shape, buffer, header.dataStart + e.begin));
  }
  const dataBytes = header.fileSize - header.dataStart;
  let closed = false;
  return {
    path,
    header,
    tensors,
    dataBytes,
    close() {
      if (closed) return;
      closed = true;
      mapped.close();
    },
  };
}

async function readExactly(path: string, handle: FileHandle, into: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < into.byteLength) {
    const { bytesRead } = await handle.read(into, done, into.byteLength - done, position + done);
    if (bytesRead === 0) throw new CheckpointFormatError(path, 'unexpected end of file while reading the header; the file is truncated');
    done += bytesRead;
  }
}
