import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { WorkerEngineClient } from '../../src/engine/worker-engine-client.ts';
import type { EngineWorkerSpec } from '../../src/engine/worker-protocol.ts';
import { FakeCausalLM } from './fake-model.ts';
import { promptOf, request, run } from './helpers.ts';

const loaderModule = fileURLToPath(new URL('./fixtures/fake-model-loader.ts', import.meta.url));
const spec = (modelPath: string, engine: EngineWorkerSpec['engine'] = {}): EngineWorkerSpec => ({
  modelPath,
  loaderModule,
  engine: { blockSize: 4, maxTotalTokens: 2048, ...engine },
});

const clients: WorkerEngineClient[] = [];
function start(s: EngineWorkerSpec): WorkerEngineClient {
  const c = new WorkerEngineClient(s);
  clients.push(c);
  return c;
}
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.shutdown({ deadlineMs: 0 })));
});

describe('engine worker', () => {
  it('round trip: generates in the worker, streams events back, reports stats, aborts and shuts down', async () => {
    const client = start(spec('fake:vocab=64'));
    const ready = await client.ready;
    expect(ready).toMatchObject({ contextLength: 512, maxTotalTokens: 2048, running: 0 });
    const reference = new FakeCausalLM({ vocabSize: 64, maxContextLength: 512 });
    const prompts = [promptOf(5, 1), promptOf(30, 2), promptOf(12, 3)];
    const results = await Promise.all(prompts.map((p) => run(client, request(p, { maxNewTokens: 10, returnLogprob: true }))));
    results.forEach((r, i) => {
      expect(r.tokens).toEqual(reference.referenceGreedy(prompts[i]!, 10));
      expect(r.finish!.reason).toBe('length');
      expect(r.events.find((e) => e.type === 'tokens')).toMatchObject({ logprobs: [{ tokenId: r.tokens[0] }] });
    });
    expect(client.stats()).toMatchObject({ running: 0, waiting: 0, kvUsage: 0 });

    // abort from the main thread
    const long = request(promptOf(8, 4), { maxNewTokens: 400, ignoreEos: true });
    const aborted = await run(client, long, (e, c) => {
      if (e.type === 'tokens' && c.tokens.length === 2) client.abort(long.id);
    });
    expect(aborted.finish!.reason).toBe('abort');

    // errors raised in the worker come back as error events
    expect((await run(client, request([9999], { maxNewTokens: 1 }))).error!.name).toBe('InvalidArgumentError');

    await client.shutdown({ deadlineMs: 1000 });
    expect((await run(client, request([2], { maxNewTokens: 1 }))).error!.name).toBe('EngineUnavailableError');
  });

  it('rejects ready with the load error from the worker', async () => {
    const client = start(spec('fake:fail-load'));
    const err = await client.ready.then(() => undefined, (e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err!.name).toBe('CheckpointFormatError');
    expect(err!.message).toMatch(/config\.json: hidden_size is missing/);
    expect((await run(client, request([2], { maxNewTokens: 1 }))).error!.message).toMatch(/failed to load the model/);
  });

  it('fails in-flight requests with an error event when the worker crashes, instead of hanging', async () => {
    for (const mode of ['crash-after=4', 'exit-after=4']) {
      const client = start(spec(`fake:${mode}`));
      await client.ready;
      const results = await Promise.all([1, 2].map((i) => run(client, request(promptOf(4, i), { maxNewTokens: 50, ignoreEos: true }))));
      for (const r of results) {
        expect(r.error!.name).toBe('EngineUnavailableError');
        expect(r.error!.message).toMatch(mode.startsWith('crash') ? /crashed: Error: simulated native crash/ : /exited with code 7/);
      }
      expect((await run(client, request([2], { maxNewTokens: 1 }))).error!.name).toBe('EngineUnavailableError');
    }
  });

  it('shutdown waits for in-flight requests until the deadline, then aborts them', async () => {
    const client = start(spec('fake:slow-ms=2'));
    await client.ready;
    const short = run(client, request(promptOf(4, 1), { maxNewTokens: 5 }));
    const long = run(client, request(promptOf(4, 2), { maxNewTokens: 100_000, ignoreEos: true }));
    await new Promise((r) => setTimeout(r, 50));
    await client.shutdown({ deadlineMs: 200 });
    expect((await short).finish!.reason).toBe('length');
    const l = await long;
    expect(l.finish!.reason).toBe('abort');
    expect(l.tokens.length).toBeGreaterThan(5);
  });

  it('also runs under plain `node --import tsx`', async () => {
    const script = fileURLToPath(new URL('./fixtures/worker-smoke.ts', import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script, loaderModule], { timeout: 30_000 });
    const out = JSON.parse(stdout.trim().split('\n').at(-1)!);
    expect(out.tokens).toEqual(new FakeCausalLM({ vocabSize: 64, maxContextLength: 512 }).referenceGreedy([5, 6, 7], 6));
    expect(out.reason).toBe('length');
  });
});
