/**
 * End to end: a tiny MoE model (test/quant-support.ts) loaded from a safetensors checkpoint with MXFP4
 * experts and FP8 dense weights, with the mxfp4 plugin loaded by the runtime's plugin loader, gives the same
 * logits as its dequantized twin (F32 weights) within 1e-4, on the optimized and the portable kernels,
 * for prefill (tokens grouped by expert, GEMM experts) and decode (one token, GEMV experts).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPlexus, silentLogger, type Plexus } from '../core/src/api.ts';
import { openSafetensorsStore } from '../core/src/model/safetensors/open-store.ts';
import type { TensorStore } from '../core/src/model/types.ts';
import { buildTinyMoe, TINY, TINY_CONFIG, tinyPrompt, writeTinyCheckpoints } from './quant-support.ts';

const MXFP4_PLUGIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'plugins', 'mxfp4');

async function runtime(env: Record<string, string> = {}): Promise<Plexus> {
  return createPlexus({ env, logger: silentLogger(), bundledPluginsDir: null, plugins: [MXFP4_PLUGIN] });
}

function ctxOf(plexus: Plexus) {
  return { ops: plexus.kernels.bindOps(), kernels: plexus.kernels, quant: plexus.quantMethods };
}

describe('tiny MoE: MXFP4 experts + FP8 dense vs the dequantized twin', () => {
  let files: ReturnType<typeof writeTinyCheckpoints>;
  const stores: TensorStore[] = [];
  beforeAll(() => { files = writeTinyCheckpoints(); });
  afterAll(() => { for (const s of stores) s.close(); });

  it.each([['optimized kernels', {}], ['portable kernels (PLEXUS_FORCE_PORTABLE_KERNELS)', { PLEXUS_FORCE_PORTABLE_KERNELS: '1' }]])('%s: logits within 1e-4', async (_name, env) => {
    const plexus = await runtime(env);
    expect(plexus.plugins().find((p) => p.id === 'mxfp4')?.status).toBe('loaded');
    const qStore = await openSafetensorsStore(files.quantized), tStore = await openSafetensorsStore(files.twin);
    stores.push(qStore, tStore);
    const model = buildTinyMoe(qStore, TINY_CONFIG, ctxOf(plexus));
    const twin = buildTinyMoe(tStore, TINY_CONFIG, ctxOf(plexus));
    for (const layer of model.moe) {
      expect(layer.experts.method).toBe('mxfp4');
      expect(layer.quantChain).toEqual(['mxfp4']);
    }
    for (const layer of twin.moe) expect(layer.experts.method).toBe('unquantized');
    // the quantized model reads about a quarter of the twin's bytes per token (FP8 1 B, MXFP4 17/32 B vs F32 4 B)
    expect(model.weightBytesPerToken).toBeLessThan(0.3 * twin.weightBytesPerToken);

    const prompt = tinyPrompt(48);
    const a = model.forward(prompt), b = twin.forward(prompt);
    let worst = 0, scale = 0;
    for (let i = 0; i < a.length; i++) {
      worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
      scale = Math.max(scale, Math.abs(b[i]!));
    }
    expect(scale).toBeGreaterThan(0.5); // the comparison is not trivially small
    expect(worst).toBeLessThanOrEqual(1e-4);
    // decode: one token at a time through the GEMV paths gives the prefill's logits for that token
    for (const t of [0, 17, 47]) {
      const one = model.forward(prompt.subarray(t, t + 1)), oneTwin = twin.forward(prompt.subarray(t, t + 1));
      for (let v = 0; v < TINY.vocab; v++) {
        expect(Math.abs(one[v]! - oneTwin[v]!)).toBeLessThanOrEqual(1e-4);
        expect(Math.abs(one[v]! - b[t * TINY.vocab + v]!)).toBeLessThanOrEqual(1e-4);
      }
    }
    const used = plexus.kernels.resolutions().map((r) => r.rowId);
    const suffix = 'PLEXUS_FORCE_PORTABLE_KERNELS' in env ? '.portable' : '.avx2';
    expect(used).toContain(`mxfp4Moe${suffix}`);
    expect(used).toContain(`fp8Matmul${suffix}`);
    plexus.dispose();
  });
});
