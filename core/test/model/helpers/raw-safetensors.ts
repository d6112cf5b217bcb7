/**
 * A deliberately independent, low-level safetensors byte builder for tests: it writes exactly the header
 * and bytes it is given, so tests can produce malformed files the real writer refuses to make.
 */
import { writeFileSync } from 'node:fs';

export interface RawEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

export interface RawFileOptions {
  /** the u64 header length written in the first 8 bytes (default: the real padded length) */
  declaredLength?: number | bigint;
  /** pad the JSON with spaces to a multiple of 8 (default true) */
  pad?: boolean;
}

/** header: an object (serialized as JSON) or a raw string. */
export function rawSafetensors(header: Record<string, unknown> | string, data: Uint8Array, opts: RawFileOptions = {}): Uint8Array {
  let json = typeof header === 'string' ? header : JSON.stringify(header);
  if (opts.pad ?? true) while (Buffer.byteLength(json) % 8 !== 0) json += ' ';
  const jsonBytes = Buffer.from(json, 'utf8');
  const out = new Uint8Array(8 + jsonBytes.byteLength + data.byteLength);
  new DataView(out.buffer).setBigUint64(0, BigInt(opts.declaredLength ?? jsonBytes.byteLength), true);
  out.set(jsonBytes, 8);
  out.set(data, 8 + jsonBytes.byteLength);
  return out;
}

export function writeRawSafetensors(path: string, header: Record<string, unknown> | string, data: Uint8Array, opts?: RawFileOptions): void {
  writeFileSync(path, rawSafetensors(header, data, opts));
}

/** Little-endian bytes of float32 values. */
export function f32Bytes(values: number[]): Uint8Array {
  return new Uint8Array(new Float32Array(values).buffer);
}
