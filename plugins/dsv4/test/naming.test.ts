/**
 * Both spellings of a DeepSeek-V4 checkpoint load to the same model: the transformers-saved fixture and the
 * same tensors renamed to DeepSeek's published names (experts split per expert) with DeepSeek's config keys
 * give identical logits; each spelling is also checked against HF on its own in hf-reference.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Checkpoint } from '@plexus/core';
import { loadCheckpoint } from '@plexus/core/internal';
import { parseDsv4Config } from '../src/config/dsv4-config.ts';
import { createDsv4Model } from '../src/model/dsv4-model.ts';
import { testBuildContext } from './support/build-context.ts';
import { fixtureDir, readReference } from './support/fixtures.ts';
import { maxAbsDiff } from './support/logprobs.ts';
import { toDeepseekLayout } from './support/to-deepseek-layout.ts';
import { V4Driver } from './support/v4-driver.ts';

describe('naming schemes', () => {
  let hf: Checkpoint;
  let ds: Checkpoint;

  beforeAll(async () => {
    hf = await loadCheckpoint(fixtureDir('dsv4-hf-c16'));
    ds = toDeepseekLayout(hf);
  });
  afterAll(() => hf?.tensors.close());

  it('the renamed checkpoint really uses DeepSeek\'s names and config keys', () => {
    expect(ds.tensors.has('embed.weight') && ds.tensors.has('layers.1.attn.indexer.compressor.ape')).toBe(true);
    expect(ds.tensors.has('layers.3.ffn.experts.5.w3.weight')).toBe(true);
    expect(ds.tensors.names().some((n) => n.startsWith('model.'))).toBe(false);
    expect(ds.config['layer_types']).toBeUndefined();
    expect(ds.config['compress_ratios']).toEqual([0, 4, 16, 4, 0]);
  });

  it('both configs parse to the same layers, rope and shapes', () => {
    const a = parseDsv4Config(hf.config), b = parseDsv4Config(ds.config);
    expect(a.keys).toBe('transformers');
    expect(b.keys).toBe('deepseek');
    expect({ ...b, keys: a.keys }).toEqual(a);
  });

  it('both load and give identical logits for a prompt (prefill and decode)', () => {
    const prompt = readReference('dsv4-hf-c16').prompts.find((p) => p.name === 'long')!;
    const run = (checkpoint: Checkpoint) => {
      const model = createDsv4Model(checkpoint, testBuildContext());
      const d = new V4Driver(model, 12);
      const seq = d.sequence(prompt.input_ids.length + 3);
      const first = Float32Array.from(d.step([{ seq, tokens: prompt.input_ids }])[0]!);
      const next = Float32Array.from(d.step([{ seq, tokens: [prompt.output_ids[0]!] }])[0]!);
      d.dispose();
      return [first, next] as const;
    };
    const [hfFirst, hfNext] = run(hf);
    const [dsFirst, dsNext] = run(ds);
    expect(maxAbsDiff(hfFirst, dsFirst)).toBe(0);
    expect(maxAbsDiff(hfNext, dsNext)).toBe(0);
    expect(maxAbsDiff(hfFirst, hfNext)).toBeGreaterThan(1e-2);
  });
});
