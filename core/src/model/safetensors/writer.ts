/**
 * Writes .safetensors files (tests, benchmarks, generated tiny models). Like the reference writer, it
 * orders tensors by dtype size (largest first) then name, so every tensor's data stays aligned to its
 * element size, and pads the header with spaces to a multiple of 8. Data is streamed tensor by tensor,
 * so many tensors may share one source buffer without building the whole file in memory.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { DTYPE_BYTES, numel } from '@plexus/native';
import type { DType } from '@plexus/native';
import { InvalidArgumentError } from '../../errors.ts';

export interface TensorToWrite {
  dtype: DType;
  shape: readonly number[];
  /** raw little-endian element bytes, numel(shape) * DTYPE_BYTES[dtype] long */
  data: Uint8Array;
}

export async function writeSafetensors(path: string, tensors: Record<string, TensorToWrite>, metadata?: Record<string, string>): Promise<void> {
  const { header, order } = planFile(tensors, metadata);
  const handle = await open(path, 'w');
  try {
    await writeAll(handle, header);
    for (const name of order) await writeAll(handle, tensors[name]!.data);
  } finally {
    await handle.close();
  }
}

export function writeSafetensorsSync(path: string, tensors: Record<string, TensorToWrite>, metadata?: Record<string, string>): void {
  const { header, order } = planFile(tensors, metadata);
  const fd = openSync(path, 'w');
  try {
    writeAllSync(fd, header);
    for (const name of order) writeAllSync(fd, tensors[name]!.data);
  } finally {
    closeSync(fd);
  }
}

/** The 8-byte length + padded JSON header, and the order in which tensor data follows it. */
function planFile(tensors: Record<string, TensorToWrite>, metadata?: Record<string, string>): { header: Uint8Array; order: string[] } {
  const order = Object.keys(tensors).sort((a, b) => {
    const sa = DTYPE_BYTES[tensors[a]!.dtype] ?? 0;
    const sb = DTYPE_BYTES[tensors[b]!.dtype] ?? 0;
    return sb - sa || (a < b ? -1 : a > b ? 1 : 0);
  });
  const json: Record<string, unknown> = {};
  if (metadata) json['__metadata__'] = metadata;
  let offset = 0;
  for (const name of order) {
    const t = tensors[name]!;
    if (name === '__metadata__') throw new InvalidArgumentError('writeSafetensors: "__metadata__" is reserved and cannot name a tensor', name);
    if (!Object.hasOwn(DTYPE_BYTES, t.dtype)) throw new InvalidArgumentError(`writeSafetensors: tensor ${name} has unknown dtype ${t.dtype}`, name);
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new InvalidArgumentError(`writeSafetensors: tensor ${name} has invalid shape [${t.shape.join(', ')}]`, name);
    }
    const bytes = numel(t.shape) * DTYPE_BYTES[t.dtype];
    if (t.data.byteLength !== bytes) {
      throw new InvalidArgumentError(`writeSafetensors: tensor ${name} ${t.dtype}[${t.shape.join(', ')}] needs ${bytes} bytes, data has ${t.data.byteLength}`, name);
    }
    json[name] = { dtype: t.dtype, shape: [...t.shape], data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const text = new TextEncoder().encode(JSON.stringify(json));
  const padded = Math.ceil(text.byteLength / 8) * 8;
  const header = new Uint8Array(8 + padded).fill(0x20, 8);
  new DataView(header.buffer).setBigUint64(0, BigInt(padded), true);
  header.set(text, 8);
  return { header, order };
}

function writeAllSync(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.byteLength) done += writeSync(fd, bytes, done, bytes.byteLength - done);
}

async function writeAll(handle: FileHandle, bytes: Uint8Array): Promise<void> {
  let done = 0;
  while (done < bytes.byteLength) done += (await handle.write(bytes, done, bytes.byteLength - done)).bytesWritten;
}
