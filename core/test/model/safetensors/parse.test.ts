import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../../src/errors.ts';
import {
  alignedF32, alignedU16, openSafetensors, openSafetensorsStore, readSafetensorsHeader,
  writeSafetensors, writeSafetensorsSync,
} from '../../../src/model/index.ts';
import type { TensorToWrite } from '../../../src/model/index.ts';
import { f32Bytes, writeRawSafetensors } from '../helpers/raw-safetensors.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

let tmp: ReturnType<typeof makeTempDir>;
beforeEach(() => { tmp = makeTempDir(); });
afterEach(() => tmp.cleanup());

const bytes = (...v: number[]) => new Uint8Array(v);

function sampleTensors(): Record<string, TensorToWrite> {
  return {
    'model.norm.weight': { dtype: 'F32', shape: [2, 3], data: f32Bytes([1, -2, 3.5, 4, 5, 6.25]) },
    'lm_head.weight': { dtype: 'BF16', shape: [3], data: bytes(0x80, 0x3f, 0x00, 0x40, 0x40, 0x40) },
    'positions': { dtype: 'I64', shape: [2], data: new Uint8Array(new BigInt64Array([7n, -1n]).buffer) },
    'mask': { dtype: 'BOOL', shape: [3], data: bytes(1, 0, 1) },
    'empty': { dtype: 'U8', shape: [0, 4], data: new Uint8Array(0) },
    'scale': { dtype: 'F8_E4M3', shape: [5], data: bytes(1, 2, 3, 4, 5) },
    'exp': { dtype: 'F8_E8M0', shape: [1], data: bytes(127) },
    'q': { dtype: 'I8', shape: [2], data: bytes(0xff, 0x01) },
    'ids': { dtype: 'I32', shape: [1], data: new Uint8Array(new Int32Array([123456]).buffer) },
    'half': { dtype: 'F16', shape: [1], data: bytes(0x00, 0x3c) },
  };
}

describe('safetensors parse (valid files)', () => {
  it('round-trips every supported dtype, the metadata and zero-size tensors through writer and reader', async () => {
    const path = join(tmp.dir, 'model.safetensors');
    const tensors = sampleTensors();
    await writeSafetensors(path, tensors, { format: 'pt' });
    const store = await openSafetensorsStore(path);
    try {
      expect(store.names().sort()).toEqual(Object.keys(tensors).sort());
      for (const [name, t] of Object.entries(tensors)) {
        const got = store.get(name);
        expect(got.dtype).toBe(t.dtype);
        expect(got.shape).toEqual(t.shape);
        expect(Array.from(got.bytes())).toEqual(Array.from(t.data));
      }
      expect(Array.from(store.get('model.norm.weight').f32())).toEqual([1, -2, 3.5, 4, 5, 6.25]);
      expect(store.totalBytes).toBe(Object.values(tensors).reduce((s, t) => s + t.data.byteLength, 0));
      expect(store.has('mask')).toBe(true);
      expect(store.has('nope')).toBe(false);
    } finally {
      store.close();
    }
    const header = await readSafetensorsHeader(path);
    expect(header.metadata).toEqual({ format: 'pt' });
    expect(header.headerLength % 8).toBe(0);
  });

  it('writer orders by dtype size so 4- and 8-byte data stays aligned, and sync/async writers agree', async () => {
    const a = join(tmp.dir, 'a.safetensors');
    const b = join(tmp.dir, 'b.safetensors');
    await writeSafetensors(a, sampleTensors());
    writeSafetensorsSync(b, sampleTensors());
    expect(Buffer.compare(readFileSync(a), readFileSync(b))).toBe(0);
    const file = await openSafetensors(a);
    try {
      for (const t of file.tensors.values()) {
        const size = { F32: 4, I32: 4, I64: 8 }[t.dtype as 'F32'] ?? 1;
        expect(t.byteOffset % size).toBe(0);
      }
    } finally {
      file.close();
    }
  });

  it('writer rejects data whose length does not match dtype x shape', async () => {
    const path = join(tmp.dir, 'bad.safetensors');
    await expect(writeSafetensors(path, { w: { dtype: 'F32', shape: [3], data: new Uint8Array(8) } })).rejects.toThrow(InvalidArgumentError);
    expect(() => writeSafetensorsSync(path, { w: { dtype: 'F32', shape: [2, -1], data: new Uint8Array(0) } })).toThrow(/invalid shape/);
  });

  it('an F32 tensor at an unaligned offset is readable: alignedF32 copies it, aligned tensors are views', async () => {
    const path = join(tmp.dir, 'odd.safetensors');
    const data = new Uint8Array(3 + 8 + 4);
    data.set([9, 8, 7], 0);
    data.set(f32Bytes([1.5, -2.25]), 3);
    data.set(bytes(0x80, 0x3f, 0x00, 0x40), 11);
    writeRawSafetensors(path, {
      flags: { dtype: 'U8', shape: [3], data_offsets: [0, 3] },
      odd: { dtype: 'F32', shape: [2], data_offsets: [3, 11] },
      halves: { dtype: 'BF16', shape: [2], data_offsets: [11, 15] },
    }, data);
    const store = await openSafetensorsStore(path);
    try {
      const odd = store.get('odd');
      expect(odd.byteOffset % 4).not.toBe(0);
      expect(() => odd.f32()).toThrow(RangeError);
      const copy = alignedF32(odd, 'odd');
      expect(Array.from(copy)).toEqual([1.5, -2.25]);
      expect(copy.buffer).not.toBe(odd.buffer);
      const halves = alignedU16(store.get('halves'), 'halves');
      expect(Array.from(halves)).toEqual([0x3f80, 0x4000]);
      expect(() => alignedF32(store.get('flags'), 'flags')).toThrow(/expected an F32 tensor/);
    } finally {
      store.close();
    }
    const aligned = join(tmp.dir, 'aligned.safetensors');
    await writeSafetensors(aligned, { w: { dtype: 'F32', shape: [2], data: f32Bytes([3, 4]) } });
    const s2 = await openSafetensorsStore(aligned);
    try {
      const view = alignedF32(s2.get('w'));
      expect(view.buffer).toBe(s2.get('w').buffer);
      expect(Array.from(view)).toEqual([3, 4]);
    } finally {
      s2.close();
    }
  });

  it('a closed store refuses access', async () => {
    const path = join(tmp.dir, 'model.safetensors');
    await writeSafetensors(path, { w: { dtype: 'U8', shape: [1], data: bytes(1) } });
    const store = await openSafetensorsStore(path);
    store.close();
    expect(() => store.get('w')).toThrow(/closed/);
  });
});
