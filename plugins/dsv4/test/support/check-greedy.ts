/**
 * Greedy decode of one reference prompt through the V4 cache (prefill, then one token per step), checking
 * every step against HF transformers: the same greedy id, and the reference's top-5 logprobs — by token id
 * and rank by rank — within `tolerance`.
 */
import { expect } from 'vitest';
import type { CausalLM } from '@plexus/core';
import type { ReferencePrompt } from './fixtures.ts';
import { argmax, logSoftmax, topK } from './logprobs.ts';
import { V4Driver, type PoolFactory } from './v4-driver.ts';

export function checkGreedy(model: CausalLM, prompt: ReferencePrompt, tolerance: number, blockSize = 16, createPool?: PoolFactory): { maxLogprobError: number; steps: number } {
  const steps = prompt.output_ids.length;
  const total = prompt.input_ids.length + steps;
  const driver = new V4Driver(model, Math.ceil(total / blockSize) + 1, blockSize, createPool);
  try {
    const seq = driver.sequence(total);
    let logits = driver.step([{ seq, tokens: prompt.input_ids }])[0]!;
    const generated: number[] = [];
    let maxLogprobError = 0;
    for (let step = 0; step < steps; step++) {
      const ref = prompt.logprobs[step]!;
      const logprobs = logSoftmax(logits);
      const chosen = argmax(logits);
      generated.push(chosen);
      expect(generated, `${prompt.name}: greedy ids up to step ${step}`).toEqual(prompt.output_ids.slice(0, step + 1));
      const errors = [Math.abs(logprobs[chosen]! - ref.logprob)];
      for (const alt of ref.top) errors.push(Math.abs(logprobs[alt.token_id]! - alt.logprob));
      topK(logprobs, ref.top.length).forEach((mine, rank) => errors.push(Math.abs(mine.value - ref.top[rank]!.logprob)));
      const worst = Math.max(...errors);
      expect(worst, `${prompt.name}: logprob error at step ${step}`).toBeLessThan(tolerance);
      maxLogprobError = Math.max(maxLogprobError, worst);
      if (step + 1 < steps) logits = driver.step([{ seq, tokens: [chosen] }])[0]!;
    }
    return { maxLogprobError, steps };
  } finally {
    driver.dispose();
  }
}
