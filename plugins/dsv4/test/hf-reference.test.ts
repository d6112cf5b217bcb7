/**
 * The DeepSeek-V4 forward pass against HF transformers 5.17 (tools/reference/make_dsv4_fixtures.py): prefill
 * + 31 greedy decode steps through the V4 cache reproduce the reference greedy ids exactly and the top-5
 * logprobs (float32 log_softmax) within 1e-3, for every prompt of every variant:
 *  - dsv4-hf-c16:        transformers names/config; sliding, CSA (top-4 of up to 32 entries), HCA ratio 16
 *  - dsv4-deepseek-c128: DeepSeek names/config; a ratio-128 layer with prompts of 250 and 300 tokens
 *  - dsv4-fp8-mxfp4-twin: the dequantized twin of the FP8 + MXFP4 fixture (see quantized-reference.test.ts)
 * Portable kernels run one prompt per variant.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Checkpoint } from '@plexus/core';
import { loadCheckpoint } from '@plexus/core/internal';
import { parseDsv4Config } from '../src/config/dsv4-config.ts';
import { ropeTable } from '../src/config/rope-config.ts';
import { createDsv4Model } from '../src/model/dsv4-model.ts';
import { testBuildContext } from './support/build-context.ts';
import { checkGreedy } from './support/check-greedy.ts';
import { fixtureDir, readReference } from './support/fixtures.ts';

const TOLERANCE = 1e-3;
const VARIANTS = ['dsv4-hf-c16', 'dsv4-deepseek-c128', 'dsv4-fp8-mxfp4-twin'];

describe.each(VARIANTS)('HF reference: %s', (variant) => {
  const reference = readReference(variant);
  let checkpoint: Checkpoint;

  beforeAll(async () => {
    checkpoint = await loadCheckpoint(fixtureDir(variant));
  });
  afterAll(() => checkpoint?.tensors.close());

  it('records at least 30 decode steps per prompt', () => {
    for (const p of reference.prompts) expect(p.output_ids.length).toBeGreaterThanOrEqual(31);
  });

  it('derives the same main and compressed-layer (YaRN) inverse frequencies as transformers', () => {
    const config = parseDsv4Config(checkpoint.config);
    for (const which of ['main', 'compress'] as const) {
      const { invFreq, mscale } = ropeTable(config.rope[which]);
      const hf = reference.rope[which];
      expect(invFreq.length).toBe(hf.inv_freq.length);
      hf.inv_freq.forEach((f, i) => expect(Math.abs(invFreq[i]! - f) / f, `${which}[${i}]`).toBeLessThan(1e-6));
      expect(mscale).toBeCloseTo(hf.attention_scaling, 6);
    }
  });

  it.each(reference.prompts.map((p) => [p.name, p.input_ids.length, p] as const))(
    'optimized kernels: prompt %s (%i tokens) matches greedy ids and top-5 logprobs',
    (_name, _len, prompt) => {
      const model = createDsv4Model(checkpoint, testBuildContext('optimized'));
      const { steps } = checkGreedy(model, prompt, TOLERANCE);
      expect(steps).toBe(prompt.output_ids.length);
      model.dispose();
    },
  );

  it('portable kernels: the shortest multi-token prompt matches too', () => {
    const prompt = reference.prompts.filter((p) => p.input_ids.length > 1).sort((a, b) => a.input_ids.length - b.input_ids.length)[0]!;
    const model = createDsv4Model(checkpoint, testBuildContext('portable'));
    checkGreedy(model, prompt, TOLERANCE, 8);
    model.dispose();
  });
});
