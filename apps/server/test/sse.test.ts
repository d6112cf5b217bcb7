/** Streaming wire format (SSE) and what a client disconnect or a shutdown does to in-flight requests. */
import { afterEach, describe, expect, it } from 'vitest';
import { makeHarness, postJson, readSse, startHarness } from './helpers/harness.ts';
import type { RunningServer } from '../src/http/start-server.ts';

const chat = (extra: Record<string, unknown> = {}) => ({ messages: [{ role: 'user', content: 'hi' }], stream: true, ...extra });

describe('chat SSE shape', () => {
  it('role first per choice, content deltas, finish_reason last per choice, usage chunk with choices [], then [DONE]', async () => {
    const res = await postJson(makeHarness().app, '/v1/chat/completions', chat({ n: 2, seed: 1, stream_options: { include_usage: true } }));
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const ev = await readSse(res);
    expect(ev.at(-1)).toBe('[DONE]');
    expect(ev.filter((e) => e === '[DONE]')).toHaveLength(1);
    const chunks = ev.slice(0, -1) as any[];
    const usageChunk = chunks.at(-1);
    expect(usageChunk.choices).toEqual([]);
    expect(usageChunk.usage.completion_tokens).toBe(2 * ('Seed 1 says hello.'.length + 1));
    expect(usageChunk.usage.total_tokens).toBe(usageChunk.usage.prompt_tokens + usageChunk.usage.completion_tokens);
    const body = chunks.slice(0, -1);
    expect(body.every((c) => c.object === 'chat.completion.chunk' && c.usage === null && c.choices.length === 1)).toBe(true);
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    for (const index of [0, 1]) {
      const mine = body.filter((c) => c.choices[0].index === index).map((c) => c.choices[0]);
      expect(mine[0].delta).toEqual({ role: 'assistant', content: '' });
      expect(mine.slice(1).every((c) => c.delta.role === undefined)).toBe(true);
      expect(mine.at(-1).finish_reason).toBe('stop');
      expect(mine.at(-1).delta).toEqual({});
      expect(mine.slice(0, -1).every((c) => c.finish_reason === null)).toBe(true);
      expect(mine.map((c) => c.delta.content ?? '').join('')).toBe(`Seed ${1 + index} says hello.`);
    }
  });

  it('without include_usage chunks carry no usage key; logprobs ride along with content', async () => {
    const ev = (await readSse(await postJson(makeHarness().app, '/v1/chat/completions', chat({ max_tokens: 3, logprobs: true, top_logprobs: 1 })))) as any[];
    const chunks = ev.slice(0, -1);
    expect(chunks.every((c) => !('usage' in c))).toBe(true);
    const content = chunks.filter((c) => c.choices[0].delta.content);
    expect(content.flatMap((c) => c.choices[0].logprobs.content.map((t: any) => t.token)).join('')).toBe('Hel');
    expect(chunks.at(-1).choices[0].finish_reason).toBe('length');
  });

  it('continuous_usage_stats puts running usage on every chunk', async () => {
    const ev = (await readSse(await postJson(makeHarness().app, '/v1/chat/completions', chat({ max_tokens: 3, stream_options: { include_usage: true, continuous_usage_stats: true } })))) as any[];
    const counts = ev.slice(0, -2).map((c) => c.usage.completion_tokens);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    expect(counts.at(-1)).toBe(3);
  });
});

describe('live server: disconnects and shutdown', () => {
  let server: RunningServer | undefined;
  afterEach(async () => {
    await server?.close(0);
    server = undefined;
  });

  const waitFor = async (cond: () => boolean, ms = 2000) => {
    const end = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > end) throw new Error('condition not reached');
      await new Promise((r) => setTimeout(r, 5));
    }
  };

  it('a streaming client that disconnects aborts its engine request at once', async () => {
    const h = await startHarness({ engine: { tokenDelayMs: 10 }, maxModelLen: 1_000_000 });
    server = h.server;
    const ctl = new AbortController();
    const res = await fetch(`${h.server.url}/v1/chat/completions`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, signal: ctl.signal,
      body: JSON.stringify(chat({ max_tokens: 10000, ignore_eos: true, n: 2 })),
    });
    const reader = res.body!.getReader();
    await reader.read();
    expect(h.engine.active.size).toBe(2);
    ctl.abort();
    await waitFor(() => h.engine.active.size === 0);
    expect(h.engine.aborted).toHaveLength(2);
  });

  it('a non-streaming client that disconnects aborts too', async () => {
    const h = await startHarness({ engine: { tokenDelayMs: 10 }, maxModelLen: 1_000_000 });
    server = h.server;
    const ctl = new AbortController();
    const pending = fetch(`${h.server.url}/v1/completions`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, signal: ctl.signal,
      body: JSON.stringify({ prompt: 'a', max_tokens: 10000, ignore_eos: true }),
    }).catch((e) => e);
    await waitFor(() => h.engine.active.size === 1);
    ctl.abort();
    await pending;
    await waitFor(() => h.engine.active.size === 0);
    expect(h.engine.aborted).toHaveLength(1);
  });

  it('close(deadline) lets short requests finish, aborts long streams at the deadline, then resolves', async () => {
    const h = await startHarness({ engine: { tokenDelayMs: 5 }, maxModelLen: 1_000_000 });
    const long = fetch(`${h.server.url}/v1/chat/completions`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify(chat({ max_tokens: 100000, ignore_eos: true })),
    }).then((r) => r.text()).catch((e) => e);
    const short = fetch(`${h.server.url}/v1/completions`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'a', max_tokens: 10, ignore_eos: true }),
    }).then((r) => r.json());
    await waitFor(() => h.engine.active.size === 2);
    const t0 = Date.now();
    await h.server.close(300);
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(250);
    expect(took).toBeLessThan(2000);
    expect((await short).choices[0].text).toHaveLength(10);
    await long;
    await waitFor(() => h.engine.active.size === 0);
    expect(h.engine.aborted).toHaveLength(1);
    await expect(fetch(`${h.server.url}/health`)).rejects.toThrow();
  });
});
