/**
 * Config parsing (both spellings) and what bad configs, checkpoints and batches get: typed errors naming the
 * field or tensor and what was expected — never a crash or a silently wrong model.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointFormatError, InvalidArgumentError, Tensor, type Checkpoint, type KvPool } from '@plexus/core';
import { createDefaultKvPool, loadCheckpoint } from '@plexus/core/internal';
import { parseDsv4Config } from '../src/config/dsv4-config.ts';
import { createV4KvPool } from '../src/kv/v4-kv-pool.ts';
import { createDsv4Model } from '../src/model/dsv4-model.ts';
import { testBuildContext } from './support/build-context.ts';
import { fixtureDir } from './support/fixtures.ts';
import { memoryCheckpoint } from './support/memory-store.ts';

const json = (variant: string) => JSON.parse(readFileSync(join(fixtureDir(variant), 'config.json'), 'utf8')) as Record<string, unknown>;
const HF = json('dsv4-hf-c16');
const DS = json('dsv4-deepseek-c128');

function fails(config: Record<string, unknown>, ...fragments: string[]): void {
  let error: unknown;
  try {
    parseDsv4Config(config);
  } catch (e) {
    error = e;
  }
  expect(error, `expected a CheckpointFormatError mentioning ${fragments.join(', ')}`).toBeInstanceOf(CheckpointFormatError);
  for (const f of fragments) expect((error as Error).message).toContain(f);
}

describe('config parsing', () => {
  it('reads DeepSeek\'s keys: compress_ratios (MTP entry ignored), num_hash_layers, qk_rope_head_dim, rope_scaling', () => {
    const c = parseDsv4Config(DS);
    expect(c.keys).toBe('deepseek');
    expect(c.layers.map((l) => [l.kind, l.ratio, l.overlap, l.indexer, l.hashRouted])).toEqual([
      ['sliding', 0, false, false, true], ['csa', 4, true, true, true], ['hca', 128, false, false, false], ['csa', 4, true, true, false],
    ]);
    expect(c.ropeDim).toBe(32);
    expect(c.rope.main).toMatchObject({ type: 'default', theta: 10000, rotaryDim: 32 });
    expect(c.rope.compress).toMatchObject({ type: 'yarn', theta: 160000, factor: 16, originalMaxPositionEmbeddings: 65536, betaFast: 32, betaSlow: 1, attentionFactor: 1 });
    expect(c.swigluLimit).toBe(1);
  });

  it('reads transformers\' keys: layer_types + compress_rates, mlp_layer_types, nested rope_parameters', () => {
    const c = parseDsv4Config(HF);
    expect(c.keys).toBe('transformers');
    expect(c.layers.map((l) => `${l.kind}:${l.ratio}:${l.hashRouted}`)).toEqual(['sliding:0:true', 'csa:4:true', 'hca:16:false', 'csa:4:false']);
    expect(c.rope.compress).toMatchObject({ type: 'yarn', theta: 160000, factor: 16, attentionFactor: 1 });
  });

  it('treats a flat rope_parameters as the compressed layers\' scaling (transformers\' own rule)', () => {
    const { rope_parameters: _drop, ...rest } = HF;
    const c = parseDsv4Config({ ...rest, rope_parameters: { rope_type: 'yarn', factor: 4, original_max_position_embeddings: 1024 } });
    expect(c.rope.main.type).toBe('default');
    expect(c.rope.compress).toMatchObject({ type: 'yarn', factor: 4, theta: 160000, attentionFactor: 1 });
  });

  it('rejects missing or malformed fields, naming them', () => {
    const { hidden_size: _h, ...noHidden } = DS;
    fails(noHidden, 'hidden_size', 'missing');
    fails({ ...DS, compress_ratios: [0, 4] }, 'compress_ratios', 'at least num_hidden_layers = 4');
    fails({ ...DS, compress_ratios: [0, 1, 4, 4, 0] }, 'compress_ratios[1]');
    fails({ ...DS, compress_ratios: [0, 'x', 4, 4, 0] }, 'compress_ratios[1]');
    const { compress_ratios: _c, ...noLayers } = DS;
    fails(noLayers, 'compress_ratios', 'layer_types');
    fails({ ...HF, layer_types: ['sliding_attention', 'full_attention', 'sliding_attention', 'sliding_attention'] }, 'layer_types[1]', 'full_attention');
    fails({ ...HF, layer_types: ['sliding_attention'] }, 'layer_types', 'expected num_hidden_layers = 4');
    fails({ ...HF, mlp_layer_types: ['hash_moe', 'dense', 'moe', 'moe'] }, 'mlp_layer_types[1]');
    fails({ ...DS, num_key_value_heads: 2 }, 'num_key_value_heads', 'must be 1');
    fails({ ...DS, o_groups: 3 }, 'o_groups', 'must divide num_attention_heads');
    fails({ ...DS, qk_rope_head_dim: 33 }, 'qk_rope_head_dim', 'even');
    fails({ ...DS, qk_rope_head_dim: 128 }, 'qk_rope_head_dim');
    fails({ ...DS, n_shared_experts: 2 }, 'n_shared_experts');
    fails({ ...DS, scoring_func: 'relu' }, 'scoring_func', 'sqrtsoftplus');
    fails({ ...DS, num_experts_per_tok: 7 }, 'num_experts_per_tok');
    fails({ ...DS, swiglu_limit: 0 }, 'swiglu_limit');
    fails({ ...DS, index_head_dim: 16 }, 'index_head_dim');
    fails({ ...DS, rope_scaling: { type: 'dynamic', factor: 2 } }, 'rope_scaling.type', 'dynamic');
    fails({ ...DS, rope_scaling: { type: 'yarn' } }, 'rope_scaling.factor');
    fails({ ...DS, hidden_act: 'gelu' }, 'hidden_act');
  });
});

describe('checkpoint and batch validation', () => {
  let checkpoint: Checkpoint;
  const tensors = new Map<string, Tensor>();

  beforeAll(async () => {
    checkpoint = await loadCheckpoint(fixtureDir('dsv4-deepseek-c128'));
    for (const name of checkpoint.tensors.names()) tensors.set(name, checkpoint.tensors.get(name));
  });
  afterAll(() => checkpoint?.tensors.close());

  const loadWith = (edit: (m: Map<string, Tensor>) => void) => {
    const copy = new Map(tensors);
    edit(copy);
    return () => createDsv4Model(memoryCheckpoint(DS, copy), testBuildContext());
  };

  it('a missing tensor is named', () => {
    expect(loadWith((m) => m.delete('layers.2.attn.compressor.ape'))).toThrow(/layers\.2\.attn\.compressor\.ape/);
    expect(loadWith((m) => m.delete('layers.1.attn.indexer.wq_b.weight'))).toThrow(/layers\.1\.attn\.indexer\.wq_b/);
    expect(loadWith((m) => m.delete('layers.0.ffn.gate.tid2eid'))).toThrow(CheckpointFormatError);
  });

  it('a tensor whose shape disagrees with config.json is named with both shapes', () => {
    const wrong = loadWith((m) => m.set('layers.1.attn.attn_sink', tensors.get('layers.1.hc_attn_scale')!));
    expect(wrong).toThrow(/layers\.1\.attn\.attn_sink/);
    expect(wrong).toThrow(/shape \[3\], expected \[4\]/);
  });

  it('a tid2eid entry outside the experts is rejected at load', () => {
    const ids = new BigInt64Array(1024 * 2).fill(1n);
    ids[5] = 99n;
    expect(loadWith((m) => m.set('layers.0.ffn.gate.tid2eid', new Tensor('I64', [1024, 2], ids.buffer)))).toThrow(/99 at index 5 is outside \[0, 6\)/);
  });

  it('a checkpoint with neither naming scheme says which names it looked for', () => {
    expect(loadWith((m) => m.delete('embed.weight'))).toThrow(/embed\.weight.*model\.embed_tokens\.weight/);
  });

  it('forward rejects a foreign KV pool, out-of-vocabulary tokens and positions that skip the cache', () => {
    const model = createDsv4Model(checkpoint, testBuildContext());
    const request = model.kvRequest(16, 2);
    const foreign = createDefaultKvPool(request);
    const pool = createV4KvPool(request);
    const batch = (kv: KvPool, token: number, position: number, kvLen = position + 1) => ({
      tokens: Int32Array.of(token), positions: Int32Array.of(position), slotMapping: Int32Array.of(position),
      seqs: [{ qStart: 0, qLen: 1, kvLen, blockTable: Int32Array.of(0), wantLogits: true }], kv,
    });
    expect(() => model.forward(batch(foreign, 5, 0))).toThrow(/dsv4\.v4-cache/);
    expect(() => model.forward(batch(pool, 1024, 0))).toThrow(InvalidArgumentError);
    expect(() => model.forward(batch(pool, -1, 0))).toThrow(/outside the vocabulary/);
    expect(() => model.forward(batch(pool, 5, 3, 1))).toThrow(/position 3, expected 0/);
    expect(() => model.forward({ ...batch(pool, 5, 0), seqs: [{ qStart: 0, qLen: 1, kvLen: 1, blockTable: Int32Array.of(7), wantLogits: true }] })).toThrow(/block id 7/);
    expect(model.forward(batch(pool, 5, 0)).every(Number.isFinite)).toBe(true);
    pool.dispose();
    foreign.dispose();
    model.dispose();
  });
});
