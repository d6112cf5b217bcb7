import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.ts';
import type { EngineHookEvent } from '../../src/engine/engine-hooks.ts';
import { CapacityError } from '../../src/errors.ts';
import { FakeCausalLM } from './fake-model.ts';
import { promptOf, request, run } from './helpers.ts';

const EOS = 1;

function makeEngine(opts: ConstructorParameters<typeof Engine>[1] = {}, model = new FakeCausalLM({ maxContextLength: 256 }), hooks?: ConstructorParameters<typeof Engine>[0]['hooks']) {
  const engine = new Engine({ model, hooks }, { blockSize: 4, maxTotalTokens: 4096, ...opts });
  return { engine, model };
}

function recordingHooks() {
  const log: Array<{ event: EngineHookEvent; payload: any }> = [];
  return { log, sink: { emit: (event: EngineHookEvent, payload: unknown) => void log.push({ event, payload }) } };
}

describe('Engine', () => {
  it('generates the same greedy tokens as a from-scratch recompute, for concurrent requests', async () => {
    const { engine, model } = makeEngine();
    const prompts = [promptOf(5, 1), promptOf(17, 2), promptOf(1, 3), promptOf(40, 4)];
    const results = await Promise.all(prompts.map((p) => run(engine, request(p, { maxNewTokens: 12 }))));
    results.forEach((r, i) => {
      expect(r.error).toBeUndefined();
      expect(r.finish!.reason).toBe('length');
      expect(r.tokens).toEqual(model.referenceGreedy(prompts[i]!, 12));
    });
    expect(Math.max(...model.batches.map((b) => b.seqs))).toBe(4);
    expect(engine.stats()).toMatchObject({ running: 0, waiting: 0, kvUsage: 0 });
  });

  it('lets a new request join a running decode batch (continuous batching)', async () => {
    const { engine, model } = makeEngine();
    let second: Promise<unknown> | undefined;
    const first = run(engine, request(promptOf(8, 5), { maxNewTokens: 30 }), (e, c) => {
      if (e.type === 'tokens' && c.tokens.length === 5) second = run(engine, request(promptOf(6, 6), { maxNewTokens: 5 }));
    });
    const a = await first;
    await second;
    expect(a.tokens).toHaveLength(30);
    // some step carried both the decode of the first and the prefill of the second
    expect(model.batches.some((b) => b.seqs === 2 && b.tokens === 1 + 6)).toBe(true);
  });

  it('preempts under tight KV memory without failing a step, and every request ends as with ample memory', async () => {
    const prompts = Array.from({ length: 10 }, (_, i) => promptOf(6 + ((i * 5) % 17), 20 + i));
    const reqs = (tag: string) => prompts.map((p, i) => request(p, { maxNewTokens: 20 + (i % 3) * 10, temperature: i % 2 ? 0.8 : 0, seed: i }, `${tag}-${i}`));
    const ample = makeEngine({ maxTotalTokens: 4096 });
    const expected = await Promise.all(reqs('ample').map((r) => run(ample.engine, r)));
    const hooks = recordingHooks();
    // 64 tokens of KV: room for one full request, not for ten
    const tight = makeEngine({ maxTotalTokens: 64, chunkedPrefillSize: 8 }, undefined, hooks.sink);
    const got = await Promise.all(reqs('tight').map((r) => run(tight.engine, r)));
    got.forEach((r, i) => {
      expect(r.error).toBeUndefined();
      expect(r.tokens).toEqual(expected[i]!.tokens);
      expect(r.finish!.reason).toBe(expected[i]!.finish!.reason);
    });
    expect(hooks.log.filter((h) => h.event === 'requestRetracted').length).toBeGreaterThan(0);
    expect(tight.engine.stats().kvUsage).toBe(0);
  });

  it('admits requests submitted together into one batch, and delivers no event inside submit()', async () => {
    const { engine, model } = makeEngine();
    let insideSubmit = false;
    const early: string[] = [];
    const prompts = [promptOf(9, 40), promptOf(3, 41), promptOf(12, 42)];
    const results = prompts.map((p) => {
      insideSubmit = true;
      const done = run(engine, request(p, { maxNewTokens: 4 }), (e) => {
        if (insideSubmit) early.push(e.type);
      });
      insideSubmit = false;
      return done;
    });
    const got = await Promise.all(results);
    expect(early).toEqual([]);
    // the first step prefilled all three prompts; every later step decoded all three
    expect(model.batches[0]).toEqual({ seqs: 3, tokens: 9 + 3 + 12, wantLogits: 3 });
    expect(model.batches.slice(1).every((b) => b.seqs === 3 && b.tokens === 3)).toBe(true);
    got.forEach((r, i) => expect(r.tokens).toEqual(model.referenceGreedy(prompts[i]!, 4)));
  });

  it('takes a step\'s greedy tokens from one batched argmax call, with the same results as without it', async () => {
    const calls: number[] = [];
    const argmaxRows = (x: Float32Array, rows: number, cols: number) => {
      calls.push(rows);
      return Int32Array.from({ length: rows }, (_, r) => {
        let best = 0;
        for (let i = 1; i < cols; i++) if (x[r * cols + i]! > x[r * cols + best]!) best = i;
        return best;
      });
    };
    const reqs = (tag: string) => [
      request(promptOf(6, 50), { maxNewTokens: 8 }, `${tag}-greedy-a`),
      request(promptOf(4, 51), { maxNewTokens: 8, temperature: 0.9, seed: 4 }, `${tag}-sampled`),
      request(promptOf(7, 52), { maxNewTokens: 8, repetitionPenalty: 1.2 }, `${tag}-penalised`),
      request(promptOf(5, 53), { maxNewTokens: 8 }, `${tag}-greedy-b`),
    ];
    const plain = makeEngine();
    const expected = await Promise.all(reqs('plain').map((r) => run(plain.engine, r)));
    const model = new FakeCausalLM({ maxContextLength: 256 });
    const batched = new Engine({ model, argmaxRows }, { blockSize: 4, maxTotalTokens: 4096 });
    const got = await Promise.all(reqs('batched').map((r) => run(batched, r)));
    got.forEach((r, i) => {
      expect(r.error).toBeUndefined();
      expect(r.tokens).toEqual(expected[i]!.tokens);
    });
    expect(got[0]!.tokens).toEqual(model.referenceGreedy(promptOf(6, 50), 8));
    // one call per forward pass, covering every logits row of that step
    expect(calls).toEqual(model.batches.map((b) => b.wantLogits));
  });

  it('reuses a shared prompt prefix from the radix cache', async () => {
    const { engine, model } = makeEngine();
    const shared = promptOf(32, 7);
    const first = await run(engine, request([...shared, 5], { maxNewTokens: 3 }));
    expect(first.events.find((e) => e.type === 'tokens')).toMatchObject({ cachedPromptTokens: 0 });
    const computedBefore = model.batches.reduce((n, b) => n + b.tokens, 0);
    const secondPrompt = [...shared, 9, 9];
    const second = await run(engine, request(secondPrompt, { maxNewTokens: 3 }));
    expect(second.events.find((e) => e.type === 'tokens')).toMatchObject({ cachedPromptTokens: 32 });
    expect(second.tokens).toEqual(model.referenceGreedy(secondPrompt, 3));
    // prefill computed only the two new tokens, then two decode steps
    expect(model.batches.reduce((n, b) => n + b.tokens, 0) - computedBefore).toBe(2 + 2);
    const s = engine.stats();
    expect(s.prefixHits).toBe(32);
    expect(s.prefixQueries).toBe(33 + 34);
  });

  it('does not reuse anything with the radix cache disabled', async () => {
    const { engine } = makeEngine({ disableRadixCache: true });
    const shared = promptOf(32, 7);
    await run(engine, request([...shared, 5], { maxNewTokens: 3 }));
    const second = await run(engine, request([...shared, 9], { maxNewTokens: 3 }));
    expect(second.events.find((e) => e.type === 'tokens')).toMatchObject({ cachedPromptTokens: 0 });
    expect(engine.stats().prefixHits).toBe(0);
  });

  it('abort frees the request’s KV at once and ends it with reason abort', async () => {
    const { engine } = makeEngine({ disableRadixCache: true });
    const req = request(promptOf(20, 8), { maxNewTokens: 200 });
    let usageAfterAbort = -1;
    let tokensAfterAbort = 0;
    let aborted = false;
    const r = await run(engine, req, (e, c) => {
      if (aborted && e.type === 'tokens') tokensAfterAbort++;
      if (e.type === 'tokens' && c.tokens.length === 3) {
        expect(engine.stats().kvUsage).toBeGreaterThan(0);
        aborted = true;
        engine.abort(req.id);
        usageAfterAbort = engine.stats().kvUsage;
      }
    });
    expect(usageAfterAbort).toBe(0);
    expect(r.finish!.reason).toBe('abort');
    expect(tokensAfterAbort).toBe(0);
    expect(engine.stats().running).toBe(0);
    engine.abort('no-such-request'); // ignored
  });

  it('aborts a waiting request too', async () => {
    const { engine } = makeEngine({ maxRunningRequests: 1 });
    const a = run(engine, request(promptOf(4, 1), { maxNewTokens: 20 }));
    const waitingReq = request(promptOf(4, 2), { maxNewTokens: 20 });
    const b = run(engine, waitingReq);
    engine.abort(waitingReq.id);
    expect((await b).finish!.reason).toBe('abort');
    expect((await a).tokens).toHaveLength(20);
  });

  it('stops at EOS (unless ignore_eos), at stop token ids, at max_new_tokens and at the context length', async () => {
    const model = new FakeCausalLM({ maxContextLength: 256, eosTokenId: EOS, eosBias: 0 });
    const engine = new Engine({ model }, { blockSize: 4, maxTotalTokens: 1024, eosTokenIds: [EOS], contextLength: 40 });
    const prompt = promptOf(6, 3);
    const free = model.referenceGreedy(prompt, 30);
    const stopAt = free[4]!;
    const stopped = await run(engine, request(prompt, { maxNewTokens: 30, stopTokenIds: [stopAt] }));
    expect(stopped.finish).toMatchObject({ reason: 'stop', matchedStopTokenId: stopAt });
    expect(stopped.tokens).toEqual(free.slice(0, free.indexOf(stopAt) + 1));
    // make EOS the greedy choice: an engine whose model always prefers EOS
    const eosModel = new FakeCausalLM({ maxContextLength: 256, eosTokenId: EOS, eosBias: 100 });
    const eosEngine = new Engine({ model: eosModel }, { blockSize: 4, maxTotalTokens: 1024, eosTokenIds: [EOS] });
    expect((await run(eosEngine, request(prompt, { maxNewTokens: 5 }))).finish).toMatchObject({ reason: 'stop', matchedStopTokenId: EOS });
    const ignoring = await run(eosEngine, request(prompt, { maxNewTokens: 5, ignoreEos: true }));
    expect(ignoring.tokens).toEqual([EOS, EOS, EOS, EOS, EOS]);
    expect(ignoring.finish!.reason).toBe('length');
    // context length 40: prompt 6 + at most 34 generated
    const long = await run(engine, request(prompt, { maxNewTokens: 100, ignoreEos: true }));
    expect(long.tokens).toHaveLength(34);
    expect(long.finish!.reason).toBe('length');
  });

  it('gives a seeded sampled request the same tokens alone and inside a busy batch', async () => {
    const sampled = (id: string) => request(promptOf(9, 4), { maxNewTokens: 25, temperature: 1, topP: 0.9, seed: 42 }, id);
    const alone = await run(makeEngine().engine, sampled('alone'));
    const { engine } = makeEngine();
    const others = Array.from({ length: 5 }, (_, i) => run(engine, request(promptOf(3 + i, 50 + i), { maxNewTokens: 15, temperature: 0.7, seed: i })));
    const busy = await run(engine, sampled('busy'));
    await Promise.all(others);
    expect(busy.tokens).toEqual(alone.tokens);
  });

  it('reports logprobs when asked', async () => {
    const { engine, model } = makeEngine();
    const prompt = promptOf(5, 9);
    const r = await run(engine, request(prompt, { maxNewTokens: 2, returnLogprob: true, topLogprobs: 3 }));
    const first = r.events.find((e) => e.type === 'tokens') as Extract<(typeof r.events)[number], { type: 'tokens' }>;
    const raw = model.referenceLogits(prompt);
    const z = Math.log(raw.reduce((s, x) => s + Math.exp(x), 0));
    expect(first.logprobs![0]!.tokenId).toBe(r.tokens[0]);
    expect(first.logprobs![0]!.logprob).toBeCloseTo(raw[r.tokens[0]!]! - z, 5);
    expect(first.logprobs![0]!.top[0]!.tokenId).toBe(r.tokens[0]); // greedy = top-1
    expect(first.logprobs![0]!.top).toHaveLength(3);
  });

  it('fails only the batch whose forward pass throws and keeps serving', async () => {
    const POISON = 63;
    const model = new FakeCausalLM({
      maxContextLength: 256,
      beforeForward: (b) => {
        if (b.tokens.includes(POISON)) throw new Error('kernel exploded');
      },
    });
    const { engine } = makeEngine({}, model);
    const bad = await run(engine, request([2, 3, POISON], { maxNewTokens: 4 }));
    expect(bad.error).toEqual({ name: 'Error', message: 'kernel exploded' });
    expect(engine.stats().kvUsage).toBe(0);
    const good = await run(engine, request(promptOf(5, 1), { maxNewTokens: 4 }));
    expect(good.tokens).toEqual(model.referenceGreedy(promptOf(5, 1), 4));
  });

  it('fails a request whose model output has the wrong size, with a clear message', async () => {
    const model = new FakeCausalLM({ maxContextLength: 64 });
    model.forward = () => new Float32Array(3);
    const { engine } = makeEngine({}, model);
    const r = await run(engine, request([2, 3], { maxNewTokens: 2 }));
    expect(r.error!.message).toMatch(/returned 3 logits; expected 1 x 64/);
  });

  it('fires lifecycle hooks in order, and a throwing hook fails only its request', async () => {
    const hooks = recordingHooks();
    const { engine } = makeEngine({}, undefined, {
      emit: (event, payload) => {
        hooks.sink.emit(event, payload);
        if (event === 'requestAdmitted' && (payload as { requestId: string }).requestId === 'cursed') throw new Error('coordinator refused');
      },
    });
    const [ok, cursed] = await Promise.all([run(engine, request(promptOf(4, 1), { maxNewTokens: 3 }, 'fine')), run(engine, request(promptOf(4, 2), { maxNewTokens: 3 }, 'cursed'))]);
    expect(ok.tokens).toHaveLength(3);
    expect(cursed.error).toMatchObject({ message: 'coordinator refused' });
    const forFine = hooks.log.filter((h) => h.payload.requestId === 'fine' || h.payload.requestIds?.includes('fine')).map((h) => h.event);
    expect(forFine).toEqual([
      'requestAdmitted', 'beforeForward', 'afterForward', 'prefillDone',
      'decodeSlotsMapped', 'beforeForward', 'afterForward',
      'decodeSlotsMapped', 'beforeForward', 'afterForward',
      'requestFinished',
    ]);
    expect(hooks.log.find((h) => h.event === 'requestFinished' && h.payload.requestId === 'cursed')?.payload.reason).toBe('error');
    const slots = hooks.log.find((h) => h.event === 'decodeSlotsMapped')!.payload;
    expect(slots.decode[0]).toMatchObject({ requestId: 'fine', position: 4 });
    expect(slots.decode[0].slot).toBe(slots.batch.slotMapping[0]);
  });

  it('works with the kernel LifecycleHookBus: a failing handler fails the requests it names', async () => {
    const { LifecycleHookBus } = await import('../../src/kernel/registries/lifecycle-hooks.ts');
    const bus = new LifecycleHookBus({ engineId: 'test' });
    const seen: string[] = [];
    bus.on('prefillDone', (p) => {
      seen.push(p.requestId);
      if (p.requestId === 'doomed') throw new Error('no host memory');
    });
    const { engine } = makeEngine({}, undefined, bus);
    const [a, b] = await Promise.all([run(engine, request(promptOf(4, 1), { maxNewTokens: 3 }, 'kept')), run(engine, request(promptOf(4, 2), { maxNewTokens: 3 }, 'doomed'))]);
    expect(a.tokens).toHaveLength(3);
    expect(b.error!.name).toBe('HookHandlerError');
    expect(b.error!.message).toMatch(/no host memory/);
    expect(seen.sort()).toEqual(['doomed', 'kept']);
  });

  it('rejects bad requests with typed errors, never by throwing from submit', async () => {
    const { engine } = makeEngine({ contextLength: 32, maxQueuedRequests: 2, maxRunningRequests: 1 });
    const tooLong = await run(engine, request(promptOf(32, 1), { maxNewTokens: 1 }));
    expect(tooLong.error).toMatchObject({ name: 'InvalidArgumentError' });
    expect(tooLong.error!.message).toMatch(/32 tokens.*context length is 32/);
    expect((await run(engine, request([2, 9999], { maxNewTokens: 1 }))).error!.message).toMatch(/input_ids\[1\]/);
    expect((await run(engine, request([], { maxNewTokens: 1 }))).error!.name).toBe('InvalidArgumentError');
    expect((await run(engine, request([2], { maxNewTokens: 1, topP: 0 }))).error!.message).toMatch(/top_p/);
    expect((await run(engine, request([2], { maxNewTokens: -1 }))).error!.message).toMatch(/max_new_tokens/);
    expect((await run(engine, { id: 'x', inputIds: [2], sampling: null as never })).error!.name).toBe('InvalidArgumentError');
    // queue limit: one running, two waiting, the fourth is refused
    const live = [1, 2, 3].map((i) => run(engine, request([2 + i], { maxNewTokens: 5 })));
    const refused = await run(engine, request([2], { maxNewTokens: 5 }));
    expect(refused.error!.name).toBe(new CapacityError('').name);
    await Promise.all(live);
    // a duplicate id in flight
    const dupReq = request([2], { maxNewTokens: 5 }, 'dup');
    const first = run(engine, dupReq);
    expect((await run(engine, dupReq)).error!.message).toMatch(/already in flight/);
    expect((await first).tokens).toHaveLength(5);
    // max_new_tokens 0: finished at once
    expect((await run(engine, request([2], { maxNewTokens: 0 }))).finish!.reason).toBe('length');
  });

  it('sizes the KV pool from a memory budget', () => {
    const model = new FakeCausalLM();
    // fake: 1 layer, 1 head, head dims 2+2, f32: 16 bytes per token, 64 per 4-token block
    const engine = new Engine({ model }, { blockSize: 4, kvCacheMemoryBytes: 64 * 100 + 10 });
    expect(engine.config.numBlocks).toBe(100);
    expect(engine.stats().maxTotalTokens).toBe(400);
    expect(engine.stats().contextLength).toBe(400); // clamped to what the pool holds
  });

  it('shutdown lets in-flight requests finish, refuses new ones, and aborts what misses the deadline', async () => {
    const { engine, model } = makeEngine();
    const quick = run(engine, request(promptOf(4, 1), { maxNewTokens: 5 }));
    await engine.shutdown({ deadlineMs: 5000 });
    expect((await quick).finish!.reason).toBe('length');
    expect(model.disposed).toBe(true);
    const late = await run(engine, request([2], { maxNewTokens: 1 }));
    expect(late.error!.name).toBe('EngineUnavailableError');

    const slowModel = new FakeCausalLM({ beforeForward: () => { const t = Date.now(); while (Date.now() - t < 2); } });
    const slow = makeEngine({}, slowModel).engine;
    const long = run(slow, request(promptOf(4, 1), { maxNewTokens: 100_000, ignoreEos: true }));
    const t0 = Date.now();
    await slow.shutdown({ deadlineMs: 50 });
    const r = await long;
    expect(r.finish!.reason).toBe('abort');
    expect(r.tokens.length).toBeGreaterThan(0);
    expect(Date.now() - t0).toBeLessThan(2000);
  });
});
