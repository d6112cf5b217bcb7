/**
 * Parses and validates a safetensors header without touching the data section.
 * Layout: u64 little-endian header length N, N bytes of UTF-8 JSON (space-padded to a multiple of 8),
 * then the data section; every tensor's data_offsets are relative to the data section.
 * Rules follow the reference Rust reader (offsets contiguous, covering the data section exactly),
 * plus the 8-byte header padding that every safetensors writer since 0.3 emits.
 */
import { DTYPE_BYTES } from '@plexus/native';
import type { DType } from '@plexus/native';
import { CheckpointFormatError } from '../../errors.ts';

/** Bytes before the JSON header: its u64 length. */
export const LENGTH_PREFIX_BYTES = 8;
/** Same cap as the reference reader: a larger header means a corrupt or hostile file. */
export const MAX_HEADER_BYTES = 100_000_000;

const METADATA_KEY = '__metadata__';

export interface SafetensorsEntry {
  name: string;
  dtype: DType;
  shape: number[];
  /** byte range inside the data section: [begin, end) */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  /** N: bytes of JSON header (including padding) */
  headerLength: number;
  /** absolute file offset of the data section (8 + N) */
  dataStart: number;
  /** tensors sorted by their offset in the data section */
  entries: SafetensorsEntry[];
  metadata: Record<string, string>;
}

/** Reads N from the 8-byte prefix and checks it against the cap and the file size. */
export function parseHeaderLength(file: string, prefix: Uint8Array, fileSize: number): number {
  if (fileSize < LENGTH_PREFIX_BYTES || prefix.byteLength < LENGTH_PREFIX_BYTES) {
    throw new CheckpointFormatError(file, `file is ${fileSize} bytes, too short to hold a safetensors header; the file is truncated or not safetensors`);
  }
  const length = new DataView(prefix.buffer, prefix.byteOffset, LENGTH_PREFIX_BYTES).getBigUint64(0, true);
  if (length > BigInt(MAX_HEADER_BYTES)) {
    throw new CheckpointFormatError(file, `header length ${length} exceeds the ${MAX_HEADER_BYTES}-byte cap; the file is corrupt or not safetensors`);
  }
  const n = Number(length);
  if (LENGTH_PREFIX_BYTES + n > fileSize) {
    throw new CheckpointFormatError(file, `header length ${n} runs past the end of the ${fileSize}-byte file; the file is truncated`);
  }
  if (n % 8 !== 0) {
    throw new CheckpointFormatError(file, `header length ${n} is not a multiple of 8 (safetensors pads the header so tensor data stays aligned); re-save the file with the safetensors library`);
  }
  return n;
}

/** Validates the JSON header against the data section size (fileSize - 8 - N). */
export function parseHeaderJson(file: string, headerBytes: Uint8Array, fileSize: number): SafetensorsHeader {
  const headerLength = headerBytes.byteLength;
  const dataStart = LENGTH_PREFIX_BYTES + headerLength;
  const dataSize = fileSize - dataStart;

  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch {
    throw new CheckpointFormatError(file, 'header is not valid UTF-8; the file is corrupt');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new CheckpointFormatError(file, `header is not valid JSON (${(e as Error).message}); the file is corrupt or truncated`);
  }
  if (!isPlainObject(json)) {
    throw new CheckpointFormatError(file, 'header must be a JSON object mapping tensor names to {dtype, shape, data_offsets}');
  }

  let metadata: Record<string, string> = {};
  const entries: SafetensorsEntry[] = [];
  for (const [name, value] of Object.entries(json)) {
    if (name === METADATA_KEY) {
      metadata = parseMetadata(file, value);
      continue;
    }
    entries.push(parseEntry(file, name, value, dataSize));
  }
  checkLayout(file, entries, dataSize);
  return { headerLength, dataStart, entries, metadata };
}

function parseMetadata(file: string, value: unknown): Record<string, string> {
  if (value === null) return {};
  if (!isPlainObject(value)) {
    throw new CheckpointFormatError(file, `${METADATA_KEY} must be an object of string values`);
  }
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') {
      throw new CheckpointFormatError(file, `${METADATA_KEY}.${k} must be a string, got ${describe(v)}`);
    }
  }
  return value as Record<string, string>;
}

function parseEntry(file: string, name: string, value: unknown, dataSize: number): SafetensorsEntry {
  const fail = (message: string): never => { throw new CheckpointFormatError(file, message, name); };
  if (!isPlainObject(value)) fail(`entry must be an object {dtype, shape, data_offsets}, got ${describe(value)}`);
  const entry = value as Record<string, unknown>;

  const dtype = entry['dtype'];
  if (typeof dtype !== 'string') fail(`dtype must be a string, got ${describe(dtype)}`);
  if (!Object.hasOwn(DTYPE_BYTES, dtype as string)) {
    fail(`unsupported dtype ${JSON.stringify(dtype)} (supported: ${Object.keys(DTYPE_BYTES).join(', ')})`);
  }

  const shape = entry['shape'];
  if (!Array.isArray(shape) || !shape.every(isNonNegativeInt)) {
    fail(`shape must be an array of non-negative integers, got ${describe(shape)}`);
  }
  let numel = 1;
  for (const d of shape as number[]) numel *= d;
  const expectedBytes = numel * DTYPE_BYTES[dtype as DType];
  if (!Number.isSafeInteger(expectedBytes)) fail(`shape [${(shape as number[]).join(', ')}] is too large`);

  const offsets = entry['data_offsets'];
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isNonNegativeInt)) {
    fail(`data_offsets must be [begin, end] of non-negative integers, got ${describe(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin) fail(`data_offsets [${begin}, ${end}] end before they begin`);
  if (end > dataSize) {
    fail(`data_offsets [${begin}, ${end}] run past the ${dataSize}-byte data section; the file is truncated`);
  }
  if (end - begin !== expectedBytes) {
    fail(`${dtype}[${(shape as number[]).join(', ')}] needs ${expectedBytes} bytes but data_offsets [${begin}, ${end}] span ${end - begin}`);
  }
  return { name, dtype: dtype as DType, shape: [...(shape as number[])], begin, end };
}

/** Tensors must tile the data section: no overlaps, no holes, no trailing bytes. */
function checkLayout(file: string, entries: SafetensorsEntry[], dataSize: number): void {
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  let previous: SafetensorsEntry | undefined;
  for (const e of entries) {
    if (e.begin < cursor) {
      throw new CheckpointFormatError(file, `data_offsets [${e.begin}, ${e.end}] overlap tensor ${previous!.name} [${previous!.begin}, ${previous!.end}]`, e.name);
    }
    if (e.begin > cursor) {
      throw new CheckpointFormatError(file, `data_offsets [${e.begin}, ${e.end}] leave bytes [${cursor}, ${e.begin}) of the data section unused; the header is inconsistent`, e.name);
    }
    cursor = e.end;
    previous = e;
  }
  if (cursor !== dataSize) {
    throw new CheckpointFormatError(file, `tensors cover ${cursor} bytes but the data section has ${dataSize}; the file has trailing bytes or the header is inconsistent`);
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isNonNegativeInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function describe(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
