/** Every endpoint through app.request (no sockets), with the fake engine and tokenizer. */
import { describe, expect, it } from 'vitest';
import { makeHarness, MODEL_NAME, postJson, readSse } from './helpers/harness.ts';
import { EOS } from './helpers/fake-tokenizer.ts';

const chat = (extra: Record<string, unknown> = {}) => ({ model: MODEL_NAME, messages: [{ role: 'user', content: 'hi' }], ...extra });

describe('health, plugins, models', () => {
  it('health is 200 with a ready model or none, 503 while loading', async () => {
    expect((await makeHarness().app.request('/health')).status).toBe(200);
    expect((await makeHarness({ noModel: true }).app.request('/health')).status).toBe(200);
    const loading = await makeHarness({ ready: () => false }).app.request('/health');
    expect(loading.status).toBe(503);
    expect((await loading.json()).error.type).toBe('unavailable_error');
  });

  it('generation answers 503 while the model loads', async () => {
    const res = await postJson(makeHarness({ ready: () => false }).app, '/v1/chat/completions', chat());
    expect(res.status).toBe(503);
  });

  it('plugins returns the loader report', async () => {
    const res = await makeHarness().app.request('/plugins');
    expect(await res.json()).toEqual({ plugins: [{ id: 'fake', status: 'loaded' }] });
  });

  it('lists the model with max_model_len and serves its card; unknown id is 404 param model', async () => {
    const { app } = makeHarness({ maxModelLen: 321 });
    const list = await (await app.request('/v1/models')).json();
    expect(list.object).toBe('list');
    expect(list.data).toHaveLength(1);
    expect(list.data[0]).toMatchObject({ id: MODEL_NAME, object: 'model', max_model_len: 321 });
    const card = await (await app.request(`/v1/models/${MODEL_NAME}`)).json();
    expect(card.max_model_len).toBe(321);
    const missing = await app.request('/v1/models/org/other');
    expect(missing.status).toBe(404);
    expect((await missing.json()).error).toMatchObject({ param: 'model', code: 404 });
  });
});

describe('chat completions', () => {
  it('returns the assistant message, finish reason, usage and maps fields to SamplingParams', async () => {
    const h = makeHarness();
    const res = await postJson(h.app, '/v1/chat/completions', chat({
      max_completion_tokens: 40, temperature: 0.5, top_p: 0.9, top_k: 7, min_p: 0.05, seed: 11,
      presence_penalty: 0.5, frequency_penalty: -0.5, repetition_penalty: 1.2, min_tokens: 2, stop_token_ids: [3],
      chat_template_kwargs: { enable_thinking: false },
    }));
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.object).toBe('chat.completion');
    expect(body.choices[0].message).toMatchObject({ role: 'assistant', content: 'Seed 11 says hello.' });
    expect(body.choices[0].finish_reason).toBe('stop');
    const sub = h.engine.submitted[0];
    expect(sub.sampling).toMatchObject({
      maxNewTokens: 40, temperature: 0.5, topP: 0.9, topK: 7, minP: 0.05, seed: 11, presencePenalty: 0.5,
      frequencyPenalty: -0.5, repetitionPenalty: 1.2, minNewTokens: 2, ignoreEos: false, returnLogprob: false,
    });
    expect(sub.sampling.stopTokenIds).toEqual(expect.arrayContaining([3, EOS]));
    const prompt = h.tokenizer.decode(sub.inputIds);
    expect(prompt).toBe('<|user|>hi\n[no-think]<|assistant|>');
    expect(body.usage).toMatchObject({ prompt_tokens: sub.inputIds.length, completion_tokens: 'Seed 11 says hello.'.length + 1 });
    expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens + body.usage.completion_tokens);
  });

  it('defaults: generation_config values, then OpenAI defaults; max tokens = room left in the context', async () => {
    const h = makeHarness({ maxModelLen: 100 });
    h.model.defaults = { eosTokenIds: [EOS], temperature: 0.7, topP: 0.8 };
    await (await postJson(h.app, '/v1/chat/completions', chat())).json();
    const s = h.engine.submitted[0];
    expect(s.sampling).toMatchObject({ temperature: 0.7, topP: 0.8, topK: 0, minP: 0, repetitionPenalty: 1, presencePenalty: 0 });
    expect(s.sampling.maxNewTokens).toBe(100 - s.inputIds.length);
    await (await postJson(h.app, '/v1/chat/completions', chat({ temperature: 0 }))).json();
    expect(h.engine.submitted[1].sampling.temperature).toBe(0);
  });

  it('ignore_eos drops EOS from the stop ids; content parts are joined; developer maps to system', async () => {
    const h = makeHarness();
    await (await postJson(h.app, '/v1/chat/completions', {
      messages: [{ role: 'developer', content: 'be brief' }, { role: 'user', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] }],
      ignore_eos: true, max_tokens: 5,
    })).json();
    const s = h.engine.submitted[0];
    expect(s.sampling.ignoreEos).toBe(true);
    expect(s.sampling.stopTokenIds).not.toContain(EOS);
    expect(h.tokenizer.decode(s.inputIds)).toBe('<|system|>be brief\n<|user|>a\nb\n<|assistant|>');
  });

  it('n > 1 fans out with seed offsets and returns n indexed choices', async () => {
    const h = makeHarness();
    const body = await (await postJson(h.app, '/v1/chat/completions', chat({ n: 3, seed: 100 }))).json();
    expect(body.choices.map((c: any) => c.index)).toEqual([0, 1, 2]);
    expect(body.choices.map((c: any) => c.message.content)).toEqual(['Seed 100 says hello.', 'Seed 101 says hello.', 'Seed 102 says hello.']);
    expect(h.engine.submitted.map((r) => r.sampling.seed)).toEqual([100, 101, 102]);
    expect(new Set(h.engine.submitted.map((r) => r.id)).size).toBe(3);
    const each = 'Seed 100 says hello.'.length + 1;
    expect(body.usage.completion_tokens).toBe(3 * each);
    expect(body.usage.prompt_tokens).toBe(h.engine.submitted[0].inputIds.length);
  });

  it('stop strings end generation and are trimmed', async () => {
    const h = makeHarness();
    const body = await (await postJson(h.app, '/v1/chat/completions', chat({ stop: 'world' }))).json();
    expect(body.choices[0].message.content).toBe('Hello ');
    expect(body.choices[0].finish_reason).toBe('stop');
    expect(body.choices[0].stop_reason).toBe('world');
  });

  it('logprobs in the chat shape with top_logprobs alternatives', async () => {
    const h = makeHarness();
    const body = await (await postJson(h.app, '/v1/chat/completions', chat({ logprobs: true, top_logprobs: 3, max_tokens: 4 }))).json();
    const content = body.choices[0].logprobs.content;
    expect(content).toHaveLength(4);
    expect(content.map((t: any) => t.token).join('')).toBe('Hell');
    for (const t of content) {
      expect(t.top_logprobs).toHaveLength(3);
      expect(t.top_logprobs[0].token).toBe(t.token);
      expect(t.bytes).toEqual([...Buffer.from(t.token)]);
      expect(t.logprob).toBeLessThan(0);
    }
    expect(h.engine.submitted[0].sampling).toMatchObject({ returnLogprob: true, topLogprobs: 3 });
  });

  it('a template without a chat template answers 400 pointing to /v1/completions', async () => {
    const res = await postJson(makeHarness({ hasChatTemplate: false }).app, '/v1/chat/completions', chat());
    expect(res.status).toBe(400);
    expect((await res.json()).error.message).toMatch(/completions/);
  });

  it('a template that raises answers 400 on messages', async () => {
    const res = await postJson(makeHarness().app, '/v1/chat/completions', { messages: [{ role: 'bogus', content: 'x' }] });
    expect(res.status).toBe(400);
    expect((await res.json()).error.param).toBe('messages');
  });
});

describe('completions', () => {
  it('defaults to 16 tokens; legacy logprobs with offsets; prompt batches × n', async () => {
    const h = makeHarness();
    const body = await (await postJson(h.app, '/v1/completions', { prompt: 'x', ignore_eos: true })).json();
    expect(body.object).toBe('text_completion');
    expect(h.engine.submitted[0].sampling.maxNewTokens).toBe(16);
    expect(body.choices[0].finish_reason).toBe('length');

    const lp = await (await postJson(h.app, '/v1/completions', { prompt: 'x', max_tokens: 3, logprobs: 2 })).json();
    const l = lp.choices[0].logprobs;
    expect(l.tokens).toEqual(['H', 'e', 'l']);
    expect(l.text_offset).toEqual([0, 1, 2]);
    expect(l.token_logprobs).toHaveLength(3);
    expect(Object.keys(l.top_logprobs[0])).toHaveLength(2);

    const batch = await (await postJson(h.app, '/v1/completions', { prompt: [[1, 2], [3, 4, 5]], n: 2, max_tokens: 2 })).json();
    expect(batch.choices.map((c: any) => c.index)).toEqual([0, 1, 2, 3]);
    expect(batch.usage.prompt_tokens).toBe(5);
    const ids = h.engine.submitted.slice(-4).map((r) => r.inputIds);
    expect(ids).toEqual([[1, 2], [1, 2], [3, 4, 5], [3, 4, 5]]);
  });

  it('streams text_completion chunks, finish_reason last per choice, usage chunk, [DONE]', async () => {
    const res = await postJson(makeHarness().app, '/v1/completions', { prompt: 'x', max_tokens: 5, stream: true, stream_options: { include_usage: true } });
    const ev = await readSse(res);
    expect(ev.at(-1)).toBe('[DONE]');
    const chunks = ev.slice(0, -1) as any[];
    expect(chunks.every((c) => c.object === 'text_completion')).toBe(true);
    expect(chunks.slice(0, -2).map((c) => c.choices[0].text).join('')).toBe('Hello');
    expect(chunks.at(-2).choices[0].finish_reason).toBe('length');
    expect(chunks.at(-1).choices).toEqual([]);
    expect(chunks.at(-1).usage.completion_tokens).toBe(5);
  });
});

describe('/generate (native)', () => {
  it('takes input_ids, maps sampling_params, returns text, output_ids, meta_info and logprobs', async () => {
    const h = makeHarness();
    const res = await postJson(h.app, '/generate', {
      input_ids: [5, 6, 7],
      sampling_params: { max_new_tokens: 4, ignore_eos: true, temperature: 0, top_k: 3, min_new_tokens: 1, stop_token_ids: [9] },
      return_logprob: true, top_logprobs_num: 2, return_text_in_logprobs: true,
    });
    const body = await res.json();
    expect(body.text).toBe('Hell');
    expect(body.output_ids).toEqual([...Buffer.from('Hell')]);
    expect(body.meta_info).toMatchObject({ prompt_tokens: 3, completion_tokens: 4, finish_reason: { type: 'length', length: 4 } });
    expect(body.meta_info.output_token_logprobs[0]).toEqual([expect.any(Number), 72, 'H']);
    expect(body.meta_info.output_top_logprobs[0]).toHaveLength(2);
    expect(h.engine.submitted[0].sampling).toMatchObject({ maxNewTokens: 4, ignoreEos: true, temperature: 0, topK: 3, minNewTokens: 1, topLogprobs: 2 });
    expect(h.engine.submitted[0].inputIds).toEqual([5, 6, 7]);
  });

  it('a text batch returns a list; default max_new_tokens is 128; stop reports matched', async () => {
    const h = makeHarness();
    const list = await (await postJson(h.app, '/generate', { text: ['a', 'b'], sampling_params: { stop: 'world' } })).json();
    expect(list).toHaveLength(2);
    expect(list[0].text).toBe('Hello ');
    expect(list[0].meta_info.finish_reason).toEqual({ type: 'stop', matched: 'world' });
    expect(h.engine.submitted[0].sampling.maxNewTokens).toBe(128);
  });

  it('streams cumulative text and per-chunk output_ids, then [DONE]', async () => {
    const ev = await readSse(await postJson(makeHarness().app, '/generate', { input_ids: [1], sampling_params: { max_new_tokens: 3 }, stream: true }));
    expect(ev.at(-1)).toBe('[DONE]');
    const chunks = ev.slice(0, -1) as any[];
    expect(chunks.map((c) => c.text)).toEqual(['H', 'He', 'Hel', 'Hel']);
    expect(chunks.flatMap((c) => c.output_ids)).toEqual([...Buffer.from('Hel')]);
    expect(chunks.at(-1).meta_info.finish_reason.type).toBe('length');
  });

  it('needs exactly one of text and input_ids', async () => {
    const { app } = makeHarness();
    expect((await postJson(app, '/generate', {})).status).toBe(400);
    expect((await postJson(app, '/generate', { text: 'a', input_ids: [1] })).status).toBe(400);
  });
});

describe('tokenize / detokenize / metrics', () => {
  it('tokenizes text and messages, detokenizes ids', async () => {
    const { app, tokenizer } = makeHarness({ maxModelLen: 99 });
    const t = await (await postJson(app, '/tokenize', { prompt: 'héllo' })).json();
    expect(t.tokens).toEqual(tokenizer.encode('héllo'));
    expect(t.count).toBe(t.tokens.length);
    expect(t.max_model_len).toBe(99);
    const noSpecial = await (await postJson(app, '/v1/tokenize', { prompt: 'ab', add_special_tokens: false })).json();
    expect(noSpecial.tokens).toEqual([97, 98]);
    const m = await (await postJson(app, '/tokenize', { messages: [{ role: 'user', content: 'q' }] })).json();
    expect(tokenizer.decode(m.tokens)).toBe('<|user|>q\n<|assistant|>');
    const d = await (await postJson(app, '/detokenize', { tokens: tokenizer.encode('héllo', { addSpecialTokens: false }) })).json();
    expect(d).toEqual({ prompt: 'héllo', text: 'héllo' });
    const bad = await postJson(app, '/detokenize', { tokens: [1, 100000] });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.param).toBe('tokens');
  });

  it('exposes plexus: metrics with model_name, counting tokens and reading engine gauges', async () => {
    const h = makeHarness();
    await (await postJson(h.app, '/v1/completions', { prompt: [1, 2, 3], max_tokens: 4, ignore_eos: true })).json();
    const res = await h.app.request('/metrics');
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await res.text();
    const value = (name: string) => Number(new RegExp(`^${name}\\{[^}]*model_name="${MODEL_NAME}"[^}]*\\} (\\S+)$`, 'm').exec(text)?.[1]);
    expect(value('plexus:prompt_tokens_total')).toBe(3);
    expect(value('plexus:generation_tokens_total')).toBe(4);
    expect(value('plexus:time_to_first_token_seconds_count')).toBe(1);
    expect(value('plexus:e2e_request_latency_seconds_count')).toBe(1);
    expect(value('plexus:inter_token_latency_seconds_count')).toBe(3);
    expect(value('plexus:num_requests_running')).toBe(0);
    expect(value('plexus:num_requests_waiting')).toBe(0);
    expect(value('plexus:kv_cache_usage_perc')).toBe(0);
    expect(value('plexus:prefix_cache_queries_total')).toBe(h.engine.prefixQueries);
    expect(value('plexus:prefix_cache_hits_total')).toBe(h.engine.prefixHits);
  });
});

describe('default text generation', () => {
  it("uses core's streamText when AppDeps.streamText is absent (or says clearly that it is missing)", async () => {
    // the loader looks in core's public API, then in its internal entry (see generation/core-stream-text.ts)
    const entries: Array<Record<string, unknown>> = [await import('@plexus/core')];
    const internal = '@plexus/core/internal';
    try {
      entries.push(await import(internal));
    } catch {
      // no internal entry in this checkout
    }
    const h = makeHarness({ deps: { streamText: undefined } });
    const res = await postJson(h.app, '/v1/chat/completions', { messages: [{ role: 'user', content: 'hi' }], max_tokens: 5, ignore_eos: true });
    const body = await res.json();
    if (entries.some((m) => typeof m.streamText === 'function')) {
      expect(res.status).toBe(200);
      expect(body.choices[0].message.content).toBe('Hello');
      expect(h.engine.submitted).toHaveLength(1);
    } else {
      expect(res.status).toBe(500);
      expect(body.error.message).toMatch(/streamText/);
      expect(h.engine.submitted).toHaveLength(0);
    }
  });
});
