/** The serving benchmark against a live fake server: counts must be exact, statistics consistent. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { formatServingReport, runServingBench } from '../src/bench/serving.ts';
import { percentile, summarize } from '../src/bench/percentiles.ts';
import { startHarness } from './helpers/harness.ts';

type Harness = Awaited<ReturnType<typeof startHarness>>;
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ engine: { tokenDelayMs: 1 } });
});
afterAll(async () => {
  await h.server.close(0);
});

const opts = { numPrompts: 12, maxConcurrency: 4, randomInputLen: 8, randomOutputLen: 6, seed: 3 };

it('sends exact-length random prompts with ignore_eos and reports exact token counts', async () => {
  const report = await runServingBench({ baseUrl: h.server.url, ...opts });
  expect(report.completed).toBe(12);
  expect(report.failed).toBe(0);
  expect(report.totalInputTokens).toBe(12 * 8);
  expect(report.totalOutputTokens).toBe(12 * 6);
  const measured = h.engine.submitted.slice(1); // the first one is the warmup
  expect(measured).toHaveLength(12);
  for (const r of measured) {
    expect(r.inputIds).toHaveLength(8);
    expect(r.inputIds.every((id) => id >= 0 && id < h.tokenizer.vocabSize)).toBe(true);
    expect(r.sampling).toMatchObject({ maxNewTokens: 6, ignoreEos: true, temperature: 0 });
  }
  expect(report.outputThroughput).toBeCloseTo(report.totalOutputTokens / report.durationS, 6);
  expect(report.requestThroughput).toBeCloseTo(12 / report.durationS, 6);
  for (const s of [report.ttftMs, report.tpotMs, report.itlMs, report.e2eMs]) {
    expect(s.mean).toBeGreaterThan(0);
    expect(s.median).toBeLessThanOrEqual(s.p99);
  }
  expect(report.ttftMs.mean).toBeLessThan(report.e2eMs.mean);
  expect(report.concurrency).toBeGreaterThan(1);
  expect(report.concurrency).toBeLessThanOrEqual(4.01);
  const text = formatServingReport(report);
  expect(text).toMatch(/Successful requests:\s+12/);
  expect(text).toMatch(/Total generated tokens:\s+72/);
  expect(text).toMatch(/Median TTFT \(ms\):/);
  expect(text).toMatch(/P99 TPOT \(ms\):/);

  // the same seed sends the same prompts
  const before = h.engine.submitted.length;
  await runServingBench({ baseUrl: h.server.url, ...opts, warmup: false });
  const again = h.engine.submitted.slice(before).map((r) => r.inputIds.join(',')).sort();
  expect(again).toEqual(measured.map((r) => r.inputIds.join(',')).sort());
});

it('counts failures instead of throwing once the warmup passed', async () => {
  const report = await runServingBench({ baseUrl: h.server.url, ...opts, randomInputLen: 300, warmup: false });
  expect(report.completed).toBe(0);
  expect(report.failed).toBe(12);
  expect(report.errors[0]).toMatch(/HTTP 400/);
});

it('percentiles interpolate like numpy', () => {
  expect(percentile([1, 2, 3, 4], 50)).toBe(2.5);
  expect(percentile([10], 99)).toBe(10);
  expect(summarize([1, 2, 3, 4, 100]).p99).toBeCloseTo(96.16, 6);
  expect(summarize([2, 4]).std).toBe(1);
});

it('rejects nonsense options', async () => {
  await expect(runServingBench({ baseUrl: h.server.url, ...opts, maxConcurrency: 0 })).rejects.toThrow(/maxConcurrency/);
});
