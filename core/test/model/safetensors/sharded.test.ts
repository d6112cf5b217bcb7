import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CheckpointFormatError } from '../../../src/errors.ts';
import { openCheckpointTensors, openShardedSafetensors, writeSafetensors } from '../../../src/model/index.ts';
import { f32Bytes } from '../helpers/raw-safetensors.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

let tmp: ReturnType<typeof makeTempDir>;
beforeEach(() => { tmp = makeTempDir(); });
afterEach(() => tmp.cleanup());

const SHARD1 = 'model-00001-of-00002.safetensors';
const SHARD2 = 'model-00002-of-00002.safetensors';

async function writeShards(dir: string): Promise<void> {
  await writeSafetensors(join(dir, SHARD1), {
    'embed.weight': { dtype: 'F32', shape: [2, 2], data: f32Bytes([1, 2, 3, 4]) },
    'layers.0.w': { dtype: 'F32', shape: [1], data: f32Bytes([5]) },
  });
  await writeSafetensors(join(dir, SHARD2), {
    'layers.1.w': { dtype: 'F32', shape: [1], data: f32Bytes([6]) },
    'lm_head.weight': { dtype: 'BF16', shape: [2], data: new Uint8Array([0x80, 0x3f, 0, 0x40]) },
  });
}

function writeIndex(dir: string, weightMap: Record<string, unknown>): string {
  const path = join(dir, 'model.safetensors.index.json');
  writeFileSync(path, JSON.stringify({ metadata: { total_size: 28 }, weight_map: weightMap }));
  return path;
}

const fullMap = {
  'embed.weight': SHARD1, 'layers.0.w': SHARD1, 'layers.1.w': SHARD2, 'lm_head.weight': SHARD2,
};

async function expectError(p: Promise<unknown>, file: string, tensor: string | undefined, message: RegExp): Promise<void> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(CheckpointFormatError);
  const e = err as CheckpointFormatError;
  expect(e.file).toBe(file);
  expect(e.tensor).toBe(tensor);
  expect(e.message).toMatch(message);
}

describe('sharded safetensors', () => {
  it('serves the tensors of every shard through one store', async () => {
    await writeShards(tmp.dir);
    writeIndex(tmp.dir, fullMap);
    const store = await openCheckpointTensors(tmp.dir);
    try {
      expect(store.names().sort()).toEqual(Object.keys(fullMap).sort());
      expect(Array.from(store.get('embed.weight').f32())).toEqual([1, 2, 3, 4]);
      expect(Array.from(store.get('layers.1.w').f32())).toEqual([6]);
      expect(store.get('lm_head.weight').dtype).toBe('BF16');
      expect(store.totalBytes).toBe(16 + 4 + 4 + 4);
      expect(store.fileOf('layers.1.w')).toBe(join(tmp.dir, SHARD2));
      expect(() => store.get('missing.weight')).toThrow(CheckpointFormatError);
      expect(() => store.get('missing.weight')).toThrow(/missing\.weight/);
    } finally {
      store.close();
    }
  });

  it('a shard listed in the index is missing', async () => {
    await writeShards(tmp.dir);
    const index = writeIndex(tmp.dir, { ...fullMap, 'layers.2.w': 'model-00003-of-00003.safetensors' });
    await expectError(openShardedSafetensors(index), join(tmp.dir, 'model-00003-of-00003.safetensors'), 'layers.2.w', /missing/);
  });

  it('a mapped tensor is absent from its shard', async () => {
    await writeShards(tmp.dir);
    const index = writeIndex(tmp.dir, { ...fullMap, 'layers.1.w': SHARD1 });
    await expectError(openShardedSafetensors(index), join(tmp.dir, SHARD1), 'layers.1.w', /absent from this shard/);
  });

  it('a tensor stored in two shards', async () => {
    await writeShards(tmp.dir);
    await writeSafetensors(join(tmp.dir, 'extra.safetensors'), {
      'other.w': { dtype: 'F32', shape: [1], data: f32Bytes([8]) },
      'layers.0.w': { dtype: 'F32', shape: [1], data: f32Bytes([9]) },
    });
    const index = writeIndex(tmp.dir, { ...fullMap, 'other.w': 'extra.safetensors' });
    const err = await openShardedSafetensors(index).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(CheckpointFormatError);
    expect((err as CheckpointFormatError).tensor).toBe('layers.0.w');
    expect((err as CheckpointFormatError).message).toMatch(/also stored in/);
  });

  it('the index itself is validated', async () => {
    await writeShards(tmp.dir);
    const outside = writeIndex(tmp.dir, { ...fullMap, 'x.w': '../elsewhere.safetensors' });
    await expectError(openShardedSafetensors(outside), outside, 'x.w', /outside the model directory/);
    const notString = writeIndex(tmp.dir, { ...fullMap, 'x.w': 3 });
    await expectError(openShardedSafetensors(notString), notString, 'x.w', /shard file name/);
    const empty = writeIndex(tmp.dir, {});
    await expectError(openShardedSafetensors(empty), empty, undefined, /lists no tensors/);
    writeFileSync(empty, '{"weight_map": ');
    await expectError(openShardedSafetensors(empty), empty, undefined, /not valid JSON/);
    writeFileSync(empty, '{"metadata": {}}');
    await expectError(openShardedSafetensors(empty), empty, undefined, /weight_map/);
  });

  it('a directory without weights says what is expected', async () => {
    await expectError(openCheckpointTensors(tmp.dir), tmp.dir, undefined, /no model\.safetensors or model\.safetensors\.index\.json/);
  });
});
