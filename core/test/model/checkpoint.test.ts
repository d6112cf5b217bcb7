import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CheckpointFormatError } from '../../src/errors.ts';
import { loadCheckpoint, parseGenerationDefaults, writeSafetensors } from '../../src/model/index.ts';
import { f32Bytes } from './helpers/raw-safetensors.ts';
import { makeTempDir } from './helpers/temp-dir.ts';

let tmp: ReturnType<typeof makeTempDir>;
beforeEach(() => { tmp = makeTempDir(); });
afterEach(() => tmp.cleanup());

async function writeModelDir(dir: string, config: unknown, generation?: unknown): Promise<void> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), typeof config === 'string' ? config : JSON.stringify(config));
  if (generation !== undefined) writeFileSync(join(dir, 'generation_config.json'), JSON.stringify(generation));
  await writeSafetensors(join(dir, 'model.safetensors'), { 'model.norm.weight': { dtype: 'F32', shape: [2], data: f32Bytes([1, 2]) } });
}

async function loadError(dir: string): Promise<CheckpointFormatError> {
  const err = await loadCheckpoint(dir).then((c) => { c.tensors.close(); return undefined; }, (e: unknown) => e);
  expect(err).toBeInstanceOf(CheckpointFormatError);
  return err as CheckpointFormatError;
}

describe('loadCheckpoint', () => {
  it('reads config, architecture, weights and generation defaults', async () => {
    await writeModelDir(tmp.dir, { architectures: ['Qwen3ForCausalLM'], hidden_size: 2, eos_token_id: 3 }, {
      temperature: 0.6, top_p: 0.95, top_k: 20, min_p: 0, repetition_penalty: 1.05, max_new_tokens: 256,
      eos_token_id: [1, 3], do_sample: true, bos_token_id: 0,
    });
    const ckpt = await loadCheckpoint(tmp.dir);
    try {
      expect(ckpt.dir).toBe(tmp.dir);
      expect(ckpt.architecture).toBe('Qwen3ForCausalLM');
      expect(ckpt.config['hidden_size']).toBe(2);
      expect(Array.from(ckpt.tensors.get('model.norm.weight').f32())).toEqual([1, 2]);
      expect(ckpt.generation).toEqual({
        temperature: 0.6, topP: 0.95, topK: 20, minP: 0, repetitionPenalty: 1.05, maxNewTokens: 256, eosTokenIds: [1, 3],
      });
    } finally {
      ckpt.tensors.close();
    }
  });

  it('without generation_config.json the eos ids come from config.json', async () => {
    await writeModelDir(tmp.dir, { architectures: ['LlamaForCausalLM'], eos_token_id: [128001, 128009] });
    const ckpt = await loadCheckpoint(tmp.dir);
    ckpt.tensors.close();
    expect(ckpt.generation).toEqual({ eosTokenIds: [128001, 128009] });
  });

  it('config.json must be an object with architectures', async () => {
    const configPath = join(tmp.dir, 'config.json');
    for (const bad of [{ model_type: 'llama' }, { architectures: [] }, { architectures: 'LlamaForCausalLM' }, { architectures: [3] }, [1]]) {
      await writeModelDir(tmp.dir, bad);
      const e = await loadError(tmp.dir);
      expect(e.file).toBe(configPath);
      expect(e.message).toMatch(/architectures|JSON object/);
    }
    await writeModelDir(tmp.dir, '{"architectures": [');
    expect((await loadError(tmp.dir)).message).toMatch(/not valid JSON/);
  });

  it('a missing directory or config.json is a clear error', async () => {
    const missing = join(tmp.dir, 'nope');
    expect((await loadError(missing)).message).toMatch(/not a directory/);
    const e = await loadError(tmp.dir);
    expect(e.file).toBe(join(tmp.dir, 'config.json'));
    expect(e.message).toMatch(/not found/);
  });

  it('invalid generation_config values name the field', async () => {
    await writeModelDir(tmp.dir, { architectures: ['LlamaForCausalLM'] }, { temperature: 'hot' });
    const e = await loadError(tmp.dir);
    expect(e.file).toBe(join(tmp.dir, 'generation_config.json'));
    expect(e.message).toMatch(/"temperature" must be a number >= 0/);
  });
});

describe('parseGenerationDefaults', () => {
  const parse = (g: unknown, config: Record<string, unknown> = {}) => parseGenerationDefaults('gen.json', g, 'config.json', config);

  it('ignores absent and null fields and merges eos ids without duplicates, generation_config first', () => {
    expect(parse(undefined)).toEqual({ eosTokenIds: [] });
    expect(parse({ temperature: null, top_k: null, eos_token_id: null }, { eos_token_id: 7 })).toEqual({ eosTokenIds: [7] });
    expect(parse({ eos_token_id: 2 }, { eos_token_id: [5, 2] }).eosTokenIds).toEqual([2, 5]);
    expect(parse({ top_k: -1, temperature: 0 })).toEqual({ topK: -1, temperature: 0, eosTokenIds: [] });
  });

  it('rejects out-of-range values', () => {
    const bad: Array<[Record<string, unknown>, RegExp]> = [
      [{ top_p: 0 }, /top_p/], [{ top_p: 1.5 }, /top_p/], [{ top_k: 2.5 }, /top_k/], [{ min_p: -0.1 }, /min_p/],
      [{ repetition_penalty: 0 }, /repetition_penalty/], [{ max_new_tokens: 0 }, /max_new_tokens/],
      [{ temperature: -1 }, /temperature/], [{ eos_token_id: ['x'] }, /eos_token_id/], [{ eos_token_id: -3 }, /eos_token_id/],
    ];
    for (const [g, message] of bad) {
      expect(() => parse(g)).toThrow(CheckpointFormatError);
      expect(() => parse(g)).toThrow(message);
    }
    expect(() => parse([1])).toThrow(/must be a JSON object/);
    expect(() => parse({}, { eos_token_id: 'eos' })).toThrow(/config\.json/);
  });
});
