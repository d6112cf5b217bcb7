/**
 * The model and its V4 pool under the core engine: continuous batching, chunked prefill (chunks that split
 * compressor windows), and the radix prefix cache. Greedy generations must equal HF's reference ids, also
 * for a request whose whole prompt prefix is served from blocks another request filled.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Checkpoint, EngineEvent, GenerateRequest, SamplingParams } from '@plexus/core';
import { Engine, loadCheckpoint } from '@plexus/core/internal';
import { createV4KvPool } from '../src/kv/v4-kv-pool.ts';
import { createDsv4Model } from '../src/model/dsv4-model.ts';
import { testBuildContext } from './support/build-context.ts';
import { fixtureDir, readReference } from './support/fixtures.ts';

const greedy = (maxNewTokens: number): SamplingParams => ({
  maxNewTokens, temperature: 0, topP: 1, topK: 0, minP: 0, repetitionPenalty: 1, presencePenalty: 0, frequencyPenalty: 0,
  stopTokenIds: [], ignoreEos: true, minNewTokens: 0, topLogprobs: 0, returnLogprob: false,
});

function generate(engine: Engine, req: GenerateRequest): Promise<{ tokens: number[]; cached: number }> {
  return new Promise((resolve, reject) => {
    const tokens: number[] = [];
    let cached = 0;
    engine.submit(req, (e: EngineEvent) => {
      if (e.type === 'tokens') {
        tokens.push(...e.tokenIds);
        if (e.cachedPromptTokens !== undefined) cached = e.cachedPromptTokens;
      } else if (e.type === 'finished') resolve({ tokens, cached });
      else reject(new Error(`${e.error.name}: ${e.error.message}`));
    });
  });
}

describe('engine: continuous batching, chunked prefill and prefix caching over the V4 pool', () => {
  const reference = readReference('dsv4-hf-c16');
  let checkpoint: Checkpoint;

  beforeAll(async () => {
    checkpoint = await loadCheckpoint(fixtureDir('dsv4-hf-c16'));
  });
  afterAll(() => checkpoint?.tensors.close());

  it('concurrent requests and a repeated prompt reproduce the reference greedy ids', async () => {
    const model = createDsv4Model(checkpoint, testBuildContext());
    const engine = new Engine(
      { model, createKvPool: createV4KvPool, kvBytesPerBlock: (req) => createV4KvPool({ ...req, numBlocks: 1 }).bytesPerBlock },
      { blockSize: 16, maxTotalTokens: 1024, chunkedPrefillSize: 23, maxRunningRequests: 4 },
    );
    const steps = 12;
    const prompts = reference.prompts.filter((p) => p.input_ids.length > 1);
    const first = await Promise.all(prompts.map((p, i) => generate(engine, { id: `a${i}`, inputIds: p.input_ids, sampling: greedy(steps) })));
    prompts.forEach((p, i) => expect(first[i]!.tokens, p.name).toEqual(p.output_ids.slice(0, steps)));
    // the same long prompt again: its full blocks come from the prefix cache
    const long = prompts.reduce((a, b) => (b.input_ids.length > a.input_ids.length ? b : a));
    const again = await generate(engine, { id: 'again', inputIds: long.input_ids, sampling: greedy(steps) });
    expect(again.cached).toBeGreaterThanOrEqual(Math.floor((long.input_ids.length - 1) / 16) * 16);
    expect(again.tokens).toEqual(long.output_ids.slice(0, steps));
    expect(engine.stats().prefixHits).toBeGreaterThan(0);
    await engine.shutdown();
  });
});
