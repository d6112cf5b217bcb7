/**
 * The dense model code against HF transformers: for every fixture variant (tools/reference/), prefill +
 * greedy decode through the paged KV cache (block size 16) must reproduce the reference greedy ids
 * exactly and the chosen and top-5 logprobs (float32 log_softmax) within 1e-3, for prompts of 1, ~50 and
 * >128 tokens, with both kernel variants.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CausalLM, Checkpoint } from '@plexus/core';
import { nativeOps, type KernelVariant } from '@plexus/native';
import { loadCheckpoint } from '../../../core/src/model/index.ts';
import { createDenseModel, parseDenseConfig } from '../src/model/index.ts';
import { ropeFrequencies } from '../src/model/rope-frequencies.ts';
import { PagedDriver } from './support/paged-driver.ts';
import { argmax, logSoftmax, maxAbsDiff, topK } from './support/logprobs.ts';
import { EMBEDDED_MODEL_DIR, fixtureDir, readReference, type ReferencePrompt } from './support/reference-fixture.ts';

/** [label, model directory, whether its prompts are the 1 / ~50 / >128-token set] */
const MODELS: Array<[string, string, boolean]> = [
  ...['llama-f32-gqa', 'llama-bf16-llama3', 'llama-f32-linear', 'qwen2-f32-bias-yarn', 'qwen3-bf16-qknorm', 'mistral-f32-swa']
    .map((v): [string, string, boolean] => [v, fixtureDir(v), true]),
  ['plexus-tiny-qwen3 (embedded default model)', EMBEDDED_MODEL_DIR, false],
];
const TOLERANCE = 1e-3;
const BLOCK_SIZE = 16;

/** greedy decode of one prompt through the KV cache, checking every step against the reference */
function checkPrompt(model: CausalLM, prompt: ReferencePrompt): { maxLogprobError: number } {
  const steps = prompt.output_ids.length;
  const driver = new PagedDriver(model, Math.ceil((prompt.input_ids.length + steps) / BLOCK_SIZE) + 1, BLOCK_SIZE);
  try {
    const seq = driver.sequence(prompt.input_ids.length + steps);
    let logits = driver.step([{ seq, tokens: prompt.input_ids }])[0];
    const generated: number[] = [];
    let maxLogprobError = 0;
    for (let step = 0; step < steps; step++) {
      const ref = prompt.logprobs[step];
      const logprobs = logSoftmax(logits);
      const chosen = argmax(logits);
      generated.push(chosen);
      expect(generated, `${prompt.name}: greedy ids up to step ${step}`).toEqual(prompt.output_ids.slice(0, step + 1));
      const errors = [Math.abs(logprobs[chosen] - ref.logprob)];
      for (const alt of ref.top) errors.push(Math.abs(logprobs[alt.token_id] - alt.logprob));
      // our own top-5, rank by rank, against the reference's
      topK(logprobs, ref.top.length).forEach((mine, rank) => errors.push(Math.abs(mine.value - ref.top[rank].logprob)));
      const worst = Math.max(...errors);
      expect(worst, `${prompt.name}: logprob error at step ${step}`).toBeLessThan(TOLERANCE);
      maxLogprobError = Math.max(maxLogprobError, worst);
      if (step + 1 < steps) logits = driver.step([{ seq, tokens: [chosen] }])[0];
    }
    return { maxLogprobError };
  } finally {
    driver.dispose();
  }
}

describe.each(MODELS)('HF reference: %s', (_label, dir, standardPrompts) => {
  const reference = readReference(dir);
  let checkpoint: Checkpoint;

  beforeAll(async () => {
    checkpoint = await loadCheckpoint(dir);
  });
  afterAll(() => checkpoint?.tensors.close());

  it.runIf(standardPrompts)('covers prompts of 1, ~50 and >128 tokens', () => {
    const lengths = reference.prompts.map((p) => p.input_ids.length);
    expect(lengths).toContain(1);
    expect(lengths.some((n) => n >= 40 && n <= 60)).toBe(true);
    expect(lengths.some((n) => n > 128)).toBe(true);
  });

  it('derives the same rotary inverse frequencies and cos/sin scaling as transformers', () => {
    const cfg = parseDenseConfig(checkpoint.config, checkpoint.architecture);
    const { invFreq, mscale } = ropeFrequencies(cfg.rope, cfg.maxPositionEmbeddings);
    expect(invFreq.length).toBe(reference.rope.inv_freq.length);
    reference.rope.inv_freq.forEach((f, i) => expect(Math.abs(invFreq[i] - f) / f).toBeLessThan(1e-6));
    expect(mscale).toBeCloseTo(reference.rope.attention_scaling, 6);
  });

  for (const kernel of ['optimized', 'portable'] as KernelVariant[]) {
    // the fixtures are tiny, so the portable kernels also run every prompt (well under a second in all)
    it.each(reference.prompts.map((p) => [p.name, p.input_ids.length, p] as const))(
      `${kernel} kernels: greedy ids and logprobs match for prompt %s (%i tokens)`,
      (_name, _len, prompt) => {
        const model = createDenseModel(checkpoint, nativeOps(kernel));
        checkPrompt(model, prompt);
        model.dispose();
      },
    );
  }

  it('batches two prompts of different lengths with the same logits as each alone', () => {
    const model = createDenseModel(checkpoint, nativeOps('optimized'));
    const [a, b] = [...reference.prompts].sort((x, y) => y.input_ids.length - x.input_ids.length);
    const blocks = (p: ReferencePrompt) => Math.ceil(p.input_ids.length / BLOCK_SIZE);
    const driver = new PagedDriver(model, 2 * (blocks(a) + blocks(b)) + 4, BLOCK_SIZE);
    const aloneA = Float32Array.from(driver.step([{ seq: driver.sequence(a.input_ids.length), tokens: a.input_ids }])[0]);
    const aloneB = Float32Array.from(driver.step([{ seq: driver.sequence(b.input_ids.length), tokens: b.input_ids }])[0]);
    const [batchA, batchB] = driver.step([
      { seq: driver.sequence(a.input_ids.length), tokens: a.input_ids },
      { seq: driver.sequence(b.input_ids.length), tokens: b.input_ids },
    ]);
    expect(maxAbsDiff(batchA, aloneA)).toBeLessThan(1e-4);
    expect(maxAbsDiff(batchB, aloneB)).toBeLessThan(1e-4);
    driver.dispose();
  });
});
