/**
 * The engine's runtime seam with the real llama plugin and a reference fixture: in-process
 * (createRuntimeEngineParts: ModelRegistry model, KvPoolRegistry pool, engine-scope hooks) and in the
 * engine worker's default loader (its own runtime from the spec), plus a load failure reported by the worker.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createPlexus, silentLogger, type EngineEvent, type KvPoolRequest, type Plexus, type SamplingParams } from '@plexus/core';
import { createDefaultKvPool, createRuntimeEngineParts, Engine, WorkerEngineClient } from '@plexus/core/internal';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'models');
const fixtureName = readdirSync(FIXTURES).sort().find((d) => existsSync(path.join(FIXTURES, d, 'reference.json')));
const modelDir = fixtureName ? path.join(FIXTURES, fixtureName) : '';
const reference = fixtureName
  ? (JSON.parse(readFileSync(path.join(modelDir, 'reference.json'), 'utf8')) as { prompts: Array<{ kind: string; input_ids: number[]; output_ids: number[] }> })
  : undefined;

const greedy = (maxNewTokens: number): SamplingParams => ({
  maxNewTokens, temperature: 0, topP: 1, topK: 0, minP: 0, repetitionPenalty: 1, presencePenalty: 0, frequencyPenalty: 0,
  stopTokenIds: [], ignoreEos: true, minNewTokens: 0, topLogprobs: 0, returnLogprob: false,
});

/** submits one request and collects its tokens until it ends */
function generate(engine: Pick<Engine, 'submit'>, id: string, inputIds: number[], maxNewTokens: number): Promise<{ tokens: number[]; end: EngineEvent }> {
  return new Promise((resolve) => {
    const tokens: number[] = [];
    engine.submit({ id, inputIds, sampling: greedy(maxNewTokens) }, (e) => {
      if (e.type === 'tokens') tokens.push(...e.tokenIds);
      else resolve({ tokens, end: e });
    });
  });
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe.runIf(reference)(`runtime engine parts on the ${fixtureName} fixture`, () => {
  const prompt = reference!.prompts.find((p) => p.kind === 'ids')!;

  it('in-process: the registry-built model reproduces the reference, through the registry pool and the scope hooks', async () => {
    const plexus: Plexus = await createPlexus({ logger: silentLogger(), env: {} });
    cleanups.push(() => plexus.dispose());
    const created: string[] = [];
    // a plugin-style pool that wins over the core default: the engine must get its pool from the registry
    plexus.kvPools.register({
      id: 'test.pool',
      predicate: (_config, engineConfig) => engineConfig['blockSize'] === 8,
      create: (req: KvPoolRequest) => {
        created.push(`${req.numBlocks}x${req.blockSize}`);
        return { ...createDefaultKvPool(req), id: 'test.pool' };
      },
    });
    const engineOptions = { blockSize: 8, kvCacheMemoryBytes: 4 * 1024 * 1024, maxRunningRequests: 2 };
    const parts = await createRuntimeEngineParts(plexus, modelDir, { engine: engineOptions });
    cleanups.push(() => parts.dispose());
    const finished: string[] = [];
    parts.hooks.on('requestFinished', (p) => void finished.push(`${p.requestId}:${p.reason}`));
    const engine = new Engine({ model: parts.model, createKvPool: parts.createKvPool, kvBytesPerBlock: parts.kvBytesPerBlock, hooks: parts.hooks }, engineOptions);
    cleanups.push(() => engine.shutdown({ deadlineMs: 0 }));

    const { tokens, end } = await generate(engine, 'r1', prompt.input_ids, prompt.output_ids.length);
    expect(tokens).toEqual(prompt.output_ids);
    expect(end).toMatchObject({ type: 'finished', reason: 'length' });
    expect(finished).toEqual(['r1:length']);
    // one 1-block probe to price the budget, then the engine's pool; both from the registered provider
    expect(created).toHaveLength(2);
    expect(created[0]).toBe('1x8');
    const perBlock = parts.kvBytesPerBlock(parts.model.kvRequest(8, 1));
    expect(created[1]).toBe(`${Math.min(Math.floor((4 * 1024 * 1024) / perBlock), Math.ceil(engine.config.contextLength / 8) * 2)}x8`);
  });

  it('engine worker: with no loader configured it builds its own runtime from the spec and serves the model', async () => {
    const client = new WorkerEngineClient({ modelPath: modelDir, engine: { maxTotalTokens: 1024 }, runtime: { env: { PLEXUS_LOG_LEVEL: 'silent' } } });
    cleanups.push(() => client.shutdown({ deadlineMs: 0 }));
    const stats = await client.ready;
    expect(stats.maxTotalTokens).toBe(1024);
    const { tokens } = await generate(client, 'w1', prompt.input_ids, prompt.output_ids.length);
    expect(tokens).toEqual(prompt.output_ids);
  });

  it('engine worker: a load failure in its runtime rejects ready with the typed cause', async () => {
    const client = new WorkerEngineClient({
      modelPath: modelDir, engine: {}, runtime: { env: { PLEXUS_LOG_LEVEL: 'silent', PLEXUS_DISABLED_MODEL_ARCHS: 'LlamaForCausalLM,MistralForCausalLM,Qwen2ForCausalLM,Qwen3ForCausalLM' } },
    });
    cleanups.push(() => client.shutdown({ deadlineMs: 0 }));
    const err = await client.ready.then(() => undefined, (e: Error) => e);
    expect(err?.name).toBe('ModelNotSupportedError');
    expect(err?.message).toContain('PLEXUS_DISABLED_MODEL_ARCHS');
  });
});
