import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpoint, writeSafetensors } from '../../src/model/index.ts';
import type { TensorToWrite } from '../../src/model/index.ts';
import { makeTempDir } from './helpers/temp-dir.ts';

const TENSORS = 64;
const FLOATS_PER_TENSOR = 1 << 20; // 4 MiB each, 256 MiB in all

let tmp: ReturnType<typeof makeTempDir>;
let fileBytes = 0;

beforeAll(async () => {
  tmp = makeTempDir('plexus-memory-test-');
  // every tensor shares one 4 MiB source buffer, so writing does not need 256 MiB of memory
  const values = new Float32Array(FLOATS_PER_TENSOR).map((_, i) => i * 0.5);
  const data = new Uint8Array(values.buffer);
  const tensors: Record<string, TensorToWrite> = {};
  for (let i = 0; i < TENSORS; i++) tensors[`layers.${i}.weight`] = { dtype: 'F32', shape: [1024, 1024], data };
  await writeSafetensors(join(tmp.dir, 'model.safetensors'), tensors);
  writeFileSync(join(tmp.dir, 'config.json'), JSON.stringify({ architectures: ['LlamaForCausalLM'] }));
  fileBytes = statSync(join(tmp.dir, 'model.safetensors')).size;
});
afterAll(() => tmp?.cleanup());

describe('checkpoint loading is zero copy', () => {
  it('a 256 MiB f32 checkpoint adds far less than its size to RSS, heap and array buffers', async () => {
    expect(fileBytes).toBeGreaterThan(256 * 1024 * 1024);
    const before = process.memoryUsage();
    const ckpt = await loadCheckpoint(tmp.dir);
    const after = process.memoryUsage();
    try {
      expect(ckpt.tensors.totalBytes).toBe(TENSORS * FLOATS_PER_TENSOR * 4);
      expect(after.rss - before.rss).toBeLessThan(fileBytes / 8);
      expect(after.heapUsed + after.arrayBuffers - (before.heapUsed + before.arrayBuffers)).toBeLessThan(fileBytes / 16);
      // the data is really there, read in place
      const last = ckpt.tensors.get(`layers.${TENSORS - 1}.weight`).f32();
      expect(last[0]).toBe(0);
      expect(last[123_457]).toBe(123_457 * 0.5);
      expect(last.buffer).toBe(ckpt.tensors.get('layers.0.weight').buffer);
    } finally {
      ckpt.tensors.close();
    }
  });
});
