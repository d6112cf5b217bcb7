/** The error envelope and every class of bad input → its status (400 never 422, 401, 404, 413, 501, 503). */
import { CapacityError, InvalidArgumentError, ModelNotSupportedError } from '@plexus/core';
import { describe, expect, it } from 'vitest';
import { fromNamed, toApiError } from '../src/http/errors/to-api-error.ts';
import { makeHarness, MODEL_NAME, postJson, readSse } from './helpers/harness.ts';

const chat = (extra: Record<string, unknown> = {}) => ({ messages: [{ role: 'user', content: 'hi' }], ...extra });

async function expectError(res: Response, status: number, param?: string | null, message?: RegExp) {
  expect(res.status).toBe(status);
  const body = await res.json();
  expect(Object.keys(body)).toEqual(['error']);
  expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  expect(body.error).toMatchObject({ message: expect.any(String), type: expect.any(String), code: status });
  expect(body.error.param === null || typeof body.error.param === 'string').toBe(true);
  if (param !== undefined) expect(body.error.param).toBe(param);
  if (message) expect(body.error.message).toMatch(message);
  return body.error;
}

describe('malformed bodies', () => {
  const { app } = makeHarness();
  it('bad JSON, non-object JSON, empty body → 400', async () => {
    await expectError(await postJson(app, '/v1/chat/completions', '{"messages": ['), 400, null, /JSON/);
    await expectError(await postJson(app, '/v1/chat/completions', '[1,2]'), 400, null, /object/);
    await expectError(await postJson(app, '/v1/chat/completions', ''), 400, null, /empty/);
  });

  it('invalid UTF-8 bytes and unpaired surrogates → 400', async () => {
    const bytes = Buffer.concat([Buffer.from('{"messages":[{"role":"user","content":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}]}')]);
    const res = await app.request('/v1/chat/completions', { method: 'POST', body: bytes, headers: { 'content-type': 'application/json' } });
    await expectError(res, 400, null, /UTF-8/);
    await expectError(await postJson(app, '/v1/chat/completions', '{"messages":[{"role":"user","content":"\\ud800x"}]}'), 400, null, /surrogate/);
  });

  it('wrong types name the field (400, not 422)', async () => {
    await expectError(await postJson(app, '/v1/chat/completions', { messages: 'hi' }), 400, 'messages');
    await expectError(await postJson(app, '/v1/chat/completions', chat({ temperature: 'hot' })), 400, 'temperature');
    await expectError(await postJson(app, '/v1/chat/completions', chat({ top_p: 0 })), 400, 'top_p');
    await expectError(await postJson(app, '/v1/chat/completions', chat({ n: 1.5 })), 400, 'n');
    await expectError(await postJson(app, '/v1/chat/completions', { messages: [{ role: 'user', content: 5 }] }), 400, 'messages.0.content');
    await expectError(await postJson(app, '/v1/completions', { prompt: [1, 'a'] }), 400, 'prompt');
  });

  it('oversized bodies → 413 (declared or streamed)', async () => {
    const small = makeHarness({ deps: { limits: { maxBodyBytes: 1000 } } }).app;
    await expectError(await postJson(small, '/v1/chat/completions', chat({ pad: 'x'.repeat(2000) })), 413);
    const stream = new ReadableStream({
      start(c) {
        for (let i = 0; i < 10; i++) c.enqueue(new TextEncoder().encode('x'.repeat(200)));
        c.close();
      },
    });
    const res = await small.request('/v1/chat/completions', { method: 'POST', body: stream, duplex: 'half' } as RequestInit);
    await expectError(res, 413);
  });
});

describe('limits and lengths', () => {
  const { app } = makeHarness({ maxModelLen: 64 });
  it('empty messages, bad max_tokens, huge n, long stop lists, too many logprobs → 400 naming the field', async () => {
    await expectError(await postJson(app, '/v1/chat/completions', { messages: [] }), 400, 'messages');
    await expectError(await postJson(app, '/v1/chat/completions', chat({ max_tokens: -5 })), 400, 'max_tokens', /at least 1/);
    await expectError(await postJson(app, '/v1/chat/completions', chat({ max_tokens: 0 })), 400, 'max_tokens');
    await expectError(await postJson(app, '/v1/chat/completions', chat({ max_completion_tokens: 1e12 })), 400, 'max_completion_tokens', /64/);
    await expectError(await postJson(app, '/v1/chat/completions', chat({ max_tokens: 1e300 })), 400, 'max_tokens');
    await expectError(await postJson(app, '/v1/chat/completions', chat({ n: 100000 })), 400, 'n', /128/);
    await expectError(await postJson(app, '/v1/chat/completions', chat({ stop: Array.from({ length: 500 }, (_, i) => `s${i}`) })), 400, 'stop');
    await expectError(await postJson(app, '/v1/chat/completions', chat({ stop: [''] })), 400, 'stop');
    await expectError(await postJson(app, '/v1/chat/completions', chat({ stop_token_ids: [1e6] })), 400, 'stop_token_ids');
    await expectError(await postJson(app, '/v1/chat/completions', chat({ logprobs: true, top_logprobs: 50 })), 400, 'top_logprobs');
    await expectError(await postJson(app, '/v1/chat/completions', chat({ min_tokens: 10, max_tokens: 5 })), 400, 'min_tokens');
    await expectError(await postJson(app, '/v1/completions', { prompt: Array.from({ length: 100 }, () => 'a'), n: 2 }), 400, 'n');
    await expectError(await postJson(app, '/generate', { input_ids: [1], sampling_params: { max_new_tokens: -1 } }), 400, 'sampling_params.max_new_tokens');
  });

  it('a prompt longer than the context → 400 stating both lengths', async () => {
    const err = await expectError(await postJson(app, '/v1/completions', { prompt: 'y'.repeat(100) }), 400, 'prompt');
    expect(err.message).toContain('64');
    expect(err.message).toContain('101');
    const sum = await expectError(await postJson(app, '/v1/completions', { prompt: 'y'.repeat(39), max_tokens: 30 }), 400, 'prompt');
    expect(sum.message).toMatch(/70 tokens \(40 in the prompt, 30 in `max_tokens`\)/);
    await expectError(await postJson(app, '/generate', { input_ids: [] }), 400, 'input_ids', /empty/);
    await expectError(await postJson(app, '/generate', { input_ids: [[1], [9999]] }), 400, 'input_ids[1]', /vocabulary/);
  });
});

describe('known fields the server cannot honour → 400 naming the field', () => {
  const { app } = makeHarness();
  const cases: Array<[string, string, Record<string, unknown>, string]> = [
    ['chat', '/v1/chat/completions', chat({ tools: [{ type: 'function', function: { name: 'f' } }] }), 'tools'],
    ['chat', '/v1/chat/completions', chat({ tool_choice: 'required' }), 'tool_choice'],
    ['chat', '/v1/chat/completions', chat({ response_format: { type: 'json_schema', json_schema: {} } }), 'response_format'],
    ['chat', '/v1/chat/completions', chat({ response_format: { type: 'json_object' } }), 'response_format'],
    ['chat', '/v1/chat/completions', chat({ logit_bias: { '5': 10 } }), 'logit_bias'],
    ['chat', '/v1/chat/completions', chat({ functions: [{ name: 'f' }] }), 'functions'],
    ['chat', '/v1/chat/completions', chat({ reasoning_effort: 'high' }), 'reasoning_effort'],
    ['chat', '/v1/chat/completions', chat({ top_logprobs: 2 }), 'top_logprobs'],
    ['chat', '/v1/chat/completions', { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'x' } }] }] }, 'messages[0].content[0].type'],
    ['completions', '/v1/completions', { prompt: 'a', echo: true }, 'echo'],
    ['completions', '/v1/completions', { prompt: 'a', suffix: 'z' }, 'suffix'],
    ['completions', '/v1/completions', { prompt: 'a', best_of: 3 }, 'best_of'],
    ['generate', '/generate', { text: 'a', sampling_params: { json_schema: '{}' } }, 'sampling_params.json_schema'],
    ['generate', '/generate', { text: 'a', sampling_params: { regex: 'a+' } }, 'sampling_params.regex'],
  ];
  for (const [kind, path, body, param] of cases) {
    it(`${kind}: ${param}`, async () => {
      await expectError(await postJson(app, path, body), 400, param);
    });
  }

  it('harmless forms pass: tool_choice none, response_format text, empty logit_bias', async () => {
    const res = await postJson(app, '/v1/chat/completions', chat({ tool_choice: 'none', response_format: { type: 'text' }, logit_bias: {}, user: 'u' }));
    expect(res.status).toBe(200);
  });

  it('unknown extra fields are accepted and logged', async () => {
    const h = makeHarness();
    const res = await postJson(h.app, '/v1/chat/completions', chat({ my_custom_field: 1, another: { x: 1 } }));
    expect(res.status).toBe(200);
    const warn = h.logger.records.find((r) => r.level === 'warn');
    expect(warn?.obj).toMatchObject({ fields: ['my_custom_field', 'another'] });
  });
});

describe('auth, routing, capacity, engine errors', () => {
  it('--api-key: 401 without or with a wrong key, 200 with it; /health stays open', async () => {
    const { app } = makeHarness({ deps: { apiKey: 'sekret' } });
    await expectError(await postJson(app, '/v1/chat/completions', chat()), 401);
    await expectError(await postJson(app, '/v1/chat/completions', chat(), { authorization: 'Bearer nope' }), 401);
    expect((await postJson(app, '/v1/chat/completions', chat(), { authorization: 'Bearer sekret' })).status).toBe(200);
    expect((await app.request('/health')).status).toBe(200);
    expect((await app.request('/v1/models')).status).toBe(401);
  });

  it('unknown model → 404 param model; unknown route → 404; unimplemented endpoint → 501', async () => {
    const { app } = makeHarness();
    const err = await expectError(await postJson(app, '/v1/chat/completions', chat({ model: 'gpt-9' })), 404, 'model');
    expect(err.message).toContain('gpt-9');
    await expectError(await app.request('/nope'), 404);
    await expectError(await postJson(app, '/v1/embeddings', { input: 'x' }), 501);
    await expectError(await postJson(makeHarness({ noModel: true }).app, '/v1/chat/completions', chat()), 503);
  });

  it('queue full (CapacityError) → 503, streaming or not, and nothing is left running', async () => {
    const h = makeHarness({ engine: { maxActive: 0 } });
    await expectError(await postJson(h.app, '/v1/chat/completions', chat()), 503, null, /capacity/);
    await expectError(await postJson(h.app, '/v1/chat/completions', chat({ stream: true })), 503);
    await expectError(await postJson(h.app, '/generate', { text: 'a', stream: true }), 503);
    expect(h.engine.active.size).toBe(0);
  });

  it('an engine error before output → 500 envelope; mid-stream → data: {error} then [DONE]', async () => {
    const h = makeHarness({ engine: { failAfterTokens: 0 } });
    await expectError(await postJson(h.app, '/v1/completions', { prompt: 'a' }), 500, null, /simulated/);
    const mid = makeHarness({ engine: { failAfterTokens: 3 } });
    const ev = await readSse(await postJson(mid.app, '/v1/chat/completions', chat({ stream: true })));
    expect(ev.at(-1)).toBe('[DONE]');
    const err = ev.at(-2) as any;
    expect(err.error).toMatchObject({ type: 'internal_server_error', code: 500 });
    expect(err.error.message).toMatch(/simulated/);
    expect((ev[0] as any).choices[0].delta.role).toBe('assistant');
  });

  it('maps core errors by code and engine error events by class name', () => {
    expect(toApiError(new CapacityError('full')).status).toBe(503);
    expect(toApiError(new InvalidArgumentError('bad', 'temperature'))).toMatchObject({ status: 400, param: 'temperature' });
    expect(toApiError(new ModelNotSupportedError('no')).status).toBe(501);
    expect(toApiError(new Error('boom')).status).toBe(500);
    expect(fromNamed('CapacityError', 'full').status).toBe(503);
    expect(fromNamed('InvalidArgumentError', 'x').status).toBe(400);
    expect(fromNamed('constructor', 'x').status).toBe(500);
  });
});

it('model name in responses is the served name', async () => {
  const body = await (await postJson(makeHarness().app, '/v1/completions', { prompt: 'a', max_tokens: 1 })).json();
  expect(body.model).toBe(MODEL_NAME);
});
