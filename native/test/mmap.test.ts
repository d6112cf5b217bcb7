import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mapFile, nativeOps, Tensor } from '../src/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'plexus-mmap-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MiB = 1024 * 1024;

/** Writes a file whose u32 word i is i * 2654435761 (mod 2^32), in 1 MiB chunks. */
function writePatternFile(path: string, bytes: number): void {
  const fd = openSync(path, 'w');
  const chunk = new Uint32Array(MiB / 4);
  for (let off = 0; off < bytes; off += MiB) {
    const base = off / 4;
    for (let i = 0; i < chunk.length; i++) chunk[i] = Math.imul(base + i, 2654435761) >>> 0;
    writeSync(fd, chunk);
  }
  closeSync(fd);
}

describe('mapFile', () => {
  it('maps a 64 MiB file read-only, zero-copy: contents match and the heap does not grow by its size', () => {
    const path = join(dir, 'big.bin');
    const size = 64 * MiB;
    writePatternFile(path, size);
    global.gc?.();
    const before = process.memoryUsage();
    const mapped = mapFile(path);
    const words = new Uint32Array(mapped.buffer);
    // touch every page so the mapping is really resident
    let check = 0;
    for (let i = 0; i < words.length; i += 1024) check ^= words[i]!;
    const after = process.memoryUsage();
    expect(mapped.buffer.byteLength).toBe(size);
    for (const i of [0, 1, 12345, words.length / 2, words.length - 1]) expect(words[i]).toBe(Math.imul(i, 2654435761) >>> 0);
    let expectedCheck = 0;
    for (let i = 0; i < words.length; i += 1024) expectedCheck ^= Math.imul(i, 2654435761) >>> 0;
    expect(check).toBe(expectedCheck);
    expect(after.heapUsed - before.heapUsed).toBeLessThan(size / 16);
    expect(after.arrayBuffers - before.arrayBuffers).toBeLessThan(size / 16);
    // (process.memoryUsage().external does include it: V8 accounts every ArrayBuffer backing store there)
    // the bytes are the file's pages, not a copy: the file is mapped into the process
    if (process.platform === 'linux') expect(readFileSync('/proc/self/maps', 'utf8')).toContain(path);
    mapped.close();
    if (process.platform === 'linux') expect(readFileSync('/proc/self/maps', 'utf8')).not.toContain(path);
  });

  it('close() detaches the buffer (views become empty) and is idempotent', () => {
    const path = join(dir, 'small.bin');
    writeFileSync(path, Buffer.from(new Float32Array([1, 2, 3, 4]).buffer));
    const m = mapFile(path);
    const view = new Float32Array(m.buffer);
    expect(Array.from(view)).toEqual([1, 2, 3, 4]);
    m.close();
    expect(m.buffer.byteLength).toBe(0);
    expect(view.length).toBe(0);
    m.close();
  });

  it('weights in a mapped file feed matmul in place, and a closed mapping is refused', () => {
    const path = join(dir, 'weights.bin');
    // 16-byte header then a 2x3 f32 matrix
    const data = new Float32Array([0, 0, 0, 0, 1, 2, 3, 4, 5, 6]);
    writeFileSync(path, Buffer.from(data.buffer));
    const m = mapFile(path);
    const w = new Tensor('F32', [2, 3], m.buffer, 16);
    const out = new Float32Array(2);
    nativeOps('optimized').matmul({ out, x: new Float32Array([1, 1, 1]), w, M: 1 });
    expect(Array.from(out)).toEqual([6, 15]);
    m.close();
    expect(() => nativeOps('optimized').matmul({ out, x: new Float32Array([1, 1, 1]), w, M: 1 })).toThrow(RangeError);
  });

  it('an async matmul keeps working when the file is closed mid-call', async () => {
    const path = join(dir, 'async.bin');
    const K = 1024, N = 2048;
    const vals = new Float32Array(N * K).fill(0.5);
    writeFileSync(path, Buffer.from(vals.buffer));
    const m = mapFile(path);
    const w = new Tensor('F32', [N, K], m.buffer, 0);
    const out = new Float32Array(8 * N);
    const p = nativeOps('optimized').matmulAsync({ out, x: new Float32Array(8 * K).fill(1), w, M: 8 });
    m.close();
    await p;
    expect(out.every((v) => v === 512)).toBe(true);
  });

  it('maps an empty file to an empty buffer', () => {
    const path = join(dir, 'empty.bin');
    writeFileSync(path, '');
    const m = mapFile(path);
    expect(m.buffer.byteLength).toBe(0);
    m.close();
  });

  it('gives a clear error for a missing file or a directory', () => {
    expect(() => mapFile(join(dir, 'nope.bin'))).toThrow(/cannot open .*nope\.bin.*No such file/);
    expect(() => mapFile(dir)).toThrow(/not a regular file/);
    expect(() => mapFile('')).toThrow(TypeError);
  });

  it('many map/GC cycles do not leak mappings', async () => {
    const path = join(dir, 'cycle.bin');
    writePatternFile(path, 4 * MiB);
    for (let i = 0; i < 50; i++) {
      const m = mapFile(path);
      expect(new Uint32Array(m.buffer)[7]).toBe(Math.imul(7, 2654435761) >>> 0);
      if (i % 2 === 0) m.close();
    }
    global.gc?.();
    await new Promise((r) => setTimeout(r, 10));
    const maps = readFileSync('/proc/self/maps', 'utf8').split('\n').filter((l) => l.includes('cycle.bin'));
    // closed ones are gone at once; GC'd ones go when V8 collects (at most the 25 unclosed may remain)
    expect(maps.length).toBeLessThanOrEqual(25);
  });
});
