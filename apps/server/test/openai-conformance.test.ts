/** The official `openai` client against a live loopback server: what real clients see. */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODEL_NAME, startHarness } from './helpers/harness.ts';

type Harness = Awaited<ReturnType<typeof startHarness>>;
const KEY = 'test-key';
let h: Harness;
let client: OpenAI;

beforeAll(async () => {
  h = await startHarness({ deps: { apiKey: KEY } });
  client = new OpenAI({ baseURL: `${h.server.url}/v1`, apiKey: KEY, maxRetries: 0 });
});
afterAll(async () => {
  await h.server.close(0);
});

const messages = [{ role: 'user' as const, content: 'hello' }];

describe('chat.completions', () => {
  it('non-streaming: message, finish_reason, usage', async () => {
    const r = await client.chat.completions.create({ model: MODEL_NAME, messages, max_completion_tokens: 50 });
    expect(r.object).toBe('chat.completion');
    expect(r.choices[0].message.content).toBe('Hello world! This is a fake reply.');
    expect(r.choices[0].finish_reason).toBe('stop');
    expect(r.usage!.completion_tokens).toBe('Hello world! This is a fake reply.'.length + 1);
    expect(r.usage!.total_tokens).toBe(r.usage!.prompt_tokens + r.usage!.completion_tokens);
  });

  it('streaming with include_usage: content deltas, finish_reason, final usage chunk', async () => {
    const stream = await client.chat.completions.create({ model: MODEL_NAME, messages, stream: true, stream_options: { include_usage: true } });
    let text = '';
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | null | undefined;
    let role: string | undefined;
    for await (const chunk of stream) {
      if (chunk.choices.length === 0) usage = chunk.usage;
      for (const c of chunk.choices) {
        role ??= c.delta.role;
        text += c.delta.content ?? '';
        finish = c.finish_reason ?? finish;
      }
    }
    expect(role).toBe('assistant');
    expect(text).toBe('Hello world! This is a fake reply.');
    expect(finish).toBe('stop');
    expect(usage!.completion_tokens).toBe(text.length + 1);
  });

  it('n > 1 with a seed, stop, logprobs + top_logprobs, non-OpenAI extras passed through', async () => {
    const r = await client.chat.completions.create({
      model: MODEL_NAME, messages, n: 2, seed: 7, stop: ['hello'], logprobs: true, top_logprobs: 2,
      // @ts-expect-error vLLM/SGLang extras go in the body as-is
      top_k: 5,
    });
    expect(r.choices.map((c) => c.message.content)).toEqual(['Seed 7 says ', 'Seed 8 says ']);
    expect(r.choices.every((c) => c.finish_reason === 'stop')).toBe(true);
    const lp = r.choices[0].logprobs!.content!;
    expect(lp.length).toBeGreaterThanOrEqual('Seed 7 says '.length);
    expect(lp[0].top_logprobs).toHaveLength(2);
    expect(h.engine.submitted.at(-1)!.sampling.topK).toBe(5);
  });
});

describe('completions', () => {
  it('non-streaming with legacy logprobs', async () => {
    const r = await client.completions.create({ model: MODEL_NAME, prompt: 'x', max_tokens: 5, logprobs: 2 });
    expect(r.choices[0].text).toBe('Hello');
    expect(r.choices[0].finish_reason).toBe('length');
    expect(r.choices[0].logprobs!.tokens).toEqual(['H', 'e', 'l', 'l', 'o']);
    expect(r.usage!.completion_tokens).toBe(5);
  });

  it('streaming, n = 2, stop', async () => {
    const stream = await client.completions.create({ model: MODEL_NAME, prompt: 'x', n: 2, stop: 'world', stream: true, stream_options: { include_usage: true } });
    const text = ['', ''];
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      for (const c of chunk.choices) text[c.index] += c.text;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toEqual(['Hello ', 'Hello ']);
    expect(usage!.completion_tokens).toBeGreaterThan(0);
  });
});

describe('models', () => {
  it('list and retrieve carry max_model_len', async () => {
    const list = await client.models.list();
    expect(list.data.map((m) => m.id)).toEqual([MODEL_NAME]);
    const m = (await client.models.retrieve(MODEL_NAME)) as OpenAI.Model & { max_model_len: number };
    expect(m.max_model_len).toBe(256);
  });
});

describe('error classes', () => {
  it('wrong key → AuthenticationError', async () => {
    const bad = new OpenAI({ baseURL: `${h.server.url}/v1`, apiKey: 'wrong', maxRetries: 0 });
    await expect(bad.chat.completions.create({ model: MODEL_NAME, messages })).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it('unknown model → NotFoundError with param model', async () => {
    const err = await client.chat.completions.create({ model: 'nope', messages }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect(err.param).toBe('model');
  });

  it('bad input → BadRequestError naming the field', async () => {
    const err = await client.chat.completions.create({ model: MODEL_NAME, messages, max_tokens: -1 }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err.param).toBe('max_tokens');
    const tools = await client.chat.completions
      .create({ model: MODEL_NAME, messages, tools: [{ type: 'function', function: { name: 'f', parameters: {} } }] })
      .catch((e) => e);
    expect(tools).toBeInstanceOf(OpenAI.BadRequestError);
    expect(tools.param).toBe('tools');
  });

  it('queue full → 503 (InternalServerError class); mid-stream error → APIError while iterating', async () => {
    const full = await startHarness({ engine: { maxActive: 0 } });
    const mid = await startHarness({ engine: { failAfterTokens: 2 } });
    try {
      const c1 = new OpenAI({ baseURL: `${full.server.url}/v1`, apiKey: 'x', maxRetries: 0 });
      const err = await c1.chat.completions.create({ model: MODEL_NAME, messages }).catch((e) => e);
      expect(err).toBeInstanceOf(OpenAI.InternalServerError);
      expect(err.status).toBe(503);
      const c2 = new OpenAI({ baseURL: `${mid.server.url}/v1`, apiKey: 'x', maxRetries: 0 });
      const stream = await c2.chat.completions.create({ model: MODEL_NAME, messages, stream: true });
      const iterate = async () => {
        for await (const _ of stream) void _;
      };
      const midErr = await iterate().catch((e) => e);
      expect(midErr).toBeInstanceOf(OpenAI.APIError);
      expect(String(midErr.message)).toMatch(/simulated/);
    } finally {
      await full.server.close(0);
      await mid.server.close(0);
    }
  });
});
