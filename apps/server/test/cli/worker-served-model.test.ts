/** The served model of `plexus serve`: /health is 503 until the engine worker is ready; max_model_len then follows the engine. */
import { describe, expect, it } from 'vitest';
import type { EngineStats } from '@plexus/core';
import type { WorkerEngineClient } from '@plexus/core/internal';
import { createApp } from '../../src/http/app.ts';
import { WorkerServedModel } from '../../src/cli/serve/worker-served-model.ts';
import { FakeTokenizer } from '../helpers/fake-tokenizer.ts';
import { RecordingLogger } from '../helpers/harness.ts';

function pendingWorker() {
  let settle!: { resolve: (s: EngineStats) => void; reject: (e: Error) => void };
  const ready = new Promise<EngineStats>((resolve, reject) => (settle = { resolve, reject }));
  const engine = { ready, submit() {}, abort() {}, stats: () => ({ running: 0, waiting: 0, kvUsage: 0, prefixQueries: 0, prefixHits: 0 }), shutdown: async () => {} };
  return { engine: engine as unknown as WorkerEngineClient, settle };
}

describe('WorkerServedModel', () => {
  it('is not ready (health 503) until the worker reports ready, then takes its context length', async () => {
    const { engine, settle } = pendingWorker();
    const model = new WorkerServedModel('m', new FakeTokenizer(true), engine, { eosTokenIds: [] }, 4096);
    const app = createApp({ pluginReport: () => ({}), model, logger: new RecordingLogger() });
    expect(model.ready()).toBe(false);
    expect(model.maxModelLen).toBe(4096);
    expect((await app.request('/health')).status).toBe(503);
    settle.resolve({ running: 0, waiting: 0, kvUsage: 0, prefixQueries: 0, prefixHits: 0, contextLength: 1024, maxTotalTokens: 1024 });
    await engine.ready;
    await Promise.resolve();
    expect(model.ready()).toBe(true);
    expect(model.maxModelLen).toBe(1024);
    expect((await app.request('/health')).status).toBe(200);
  });

  it('stays not ready when the worker fails to load', async () => {
    const { engine, settle } = pendingWorker();
    const model = new WorkerServedModel('m', new FakeTokenizer(true), engine, { eosTokenIds: [] }, 4096);
    settle.reject(new Error('load failed'));
    await engine.ready.catch(() => undefined);
    expect(model.ready()).toBe(false);
  });
});
