/**
 * Self-consistency of the forward pass on tiny random models (no fixtures needed): decoding step by step
 * through the KV cache equals one forward over all tokens, and batching sequences of different lengths
 * does not change any sequence's logits. Runs with both kernel variants.
 */
import { describe, expect, it } from 'vitest';
import { nativeOps, type KernelVariant } from '@plexus/native';
import { createDenseModel } from '../src/model/index.ts';
import { PagedDriver } from './support/paged-driver.ts';
import { randomDenseCheckpoint, type TinyShape } from './support/random-checkpoint.ts';
import { maxAbsDiff } from './support/logprobs.ts';

const shape: TinyShape = { hidden: 48, layers: 2, heads: 6, kvHeads: 2, headDim: 16, inter: 80, vocab: 97 };

const variants: Array<{ arch: string; shape: TinyShape; config?: Record<string, unknown>; dtype?: 'F32' | 'BF16' }> = [
  { arch: 'LlamaForCausalLM', shape, config: { rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 32 } } },
  { arch: 'Qwen2ForCausalLM', shape: { ...shape, qkvBias: true, lmHead: true }, config: { rope_scaling: { type: 'yarn', factor: 4, original_max_position_embeddings: 64 } }, dtype: 'BF16' },
  { arch: 'Qwen3ForCausalLM', shape: { ...shape, qkNorm: true }, config: { use_sliding_window: true, sliding_window: 5, max_window_layers: 1 } },
  { arch: 'MistralForCausalLM', shape: { ...shape, kvHeads: 1 }, config: { sliding_window: 7 } },
];

const tokens = (n: number, seed: number) => Array.from({ length: n }, (_, i) => (i * 31 + seed * 17 + 3) % shape.vocab);

for (const kernel of ['optimized', 'portable'] as KernelVariant[]) {
  describe(`forward consistency (${kernel} kernels)`, () => {
    const ops = nativeOps(kernel);
    for (const v of variants) {
      it(`${v.arch}: step-by-step decode equals one full forward`, () => {
        const model = createDenseModel(randomDenseCheckpoint(v.arch, v.shape, v.config, { dtype: v.dtype }), ops);
        const ids = tokens(37, 1);
        const driver = new PagedDriver(model, 16);
        const stepwise = driver.sequence(ids.length);
        const stepLogits = new Map<number, Float32Array>();
        for (let n = 1; n <= ids.length; n++) {
          const logits = driver.step([{ seq: stepwise, tokens: [ids[n - 1]] }])[0];
          if (n === 20 || n === ids.length) stepLogits.set(n, Float32Array.from(logits));
        }
        for (const [n, logits] of stepLogits) {
          const once = driver.step([{ seq: driver.sequence(n), tokens: ids.slice(0, n) }])[0];
          expect(once.every(Number.isFinite)).toBe(true);
          expect(maxAbsDiff(logits, once)).toBeLessThan(1e-4);
        }
        // chunked prefill (13 + 24 tokens) ends on the same logits too
        const chunkedSeq = driver.sequence(ids.length);
        driver.step([{ seq: chunkedSeq, tokens: ids.slice(0, 13) }]);
        const chunked = driver.step([{ seq: chunkedSeq, tokens: ids.slice(13) }])[0];
        expect(maxAbsDiff(chunked, stepLogits.get(ids.length)!)).toBeLessThan(1e-4);
        expect(maxAbsDiff(stepLogits.get(20)!, stepLogits.get(ids.length)!)).toBeGreaterThan(1e-3);
        driver.dispose();
      });

      it(`${v.arch}: a batch of two sequences gives each one's own logits`, () => {
        const model = createDenseModel(randomDenseCheckpoint(v.arch, v.shape, v.config, { dtype: v.dtype, seed: 7 }), ops);
        const a = tokens(23, 2);
        const b = tokens(9, 3);
        const alone = new PagedDriver(model, 8);
        const la = Float32Array.from(alone.step([{ seq: alone.sequence(32), tokens: a }])[0]);
        const lb = Float32Array.from(alone.step([{ seq: alone.sequence(32), tokens: b }])[0]);
        const together = new PagedDriver(model, 8);
        const sa = together.sequence(32);
        const sb = together.sequence(32);
        const [ta, tb] = together.step([{ seq: sa, tokens: a }, { seq: sb, tokens: b }]);
        expect(maxAbsDiff(ta, la)).toBeLessThan(1e-4);
        expect(maxAbsDiff(tb, lb)).toBeLessThan(1e-4);
        expect(maxAbsDiff(la, lb)).toBeGreaterThan(1e-3); // the sequences really differ
        // then a mixed batch: one decode token for a, a prefill chunk for b
        const [da, db] = together.step([{ seq: sa, tokens: [4] }, { seq: sb, tokens: [8, 9, 10] }]);
        const da1 = alone.step([{ seq: alone.sequence(32), tokens: [...a, 4] }])[0];
        const db1 = alone.step([{ seq: alone.sequence(32), tokens: [...b, 8, 9, 10] }])[0];
        expect(maxAbsDiff(da, da1)).toBeLessThan(1e-4);
        expect(maxAbsDiff(db, db1)).toBeLessThan(1e-4);
        alone.dispose();
        together.dispose();
      });
    }
  });
}
