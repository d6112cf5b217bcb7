/**
 * tools / tool_choice / reasoning_content through the HTTP layer, with fake parsers and encoder
 * (helpers/fake-text-processors.ts). Streaming must add up to exactly what the non-streaming response says.
 */
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import type { TextGenerationRequest } from '@plexus/core';
import { FakeChatEncoder, fakeReasoningParser, fakeToolParser } from './helpers/fake-text-processors.ts';
import { fakeStreamText } from './helpers/fake-stream-text.ts';
import { makeHarness, postJson, readSse, startHarness, type HarnessOptions } from './helpers/harness.ts';

const WEATHER = { type: 'function', function: { name: 'get_weather', description: 'Weather now', parameters: { type: 'object', properties: { city: { type: 'string' } } } } };
const CLOCK = { type: 'function', function: { name: 'clock' } };
const user = [{ role: 'user', content: 'Weather in Paris?' }];

function harness(reply: string, opts: { encoder?: boolean; reasoning?: boolean; forcing?: boolean } & HarnessOptions = {}) {
  const encoder = new FakeChatEncoder();
  const h = makeHarness({
    engine: { reply: () => reply },
    hasChatTemplate: !opts.encoder,
    model: {
      toolParser: fakeToolParser({ forcing: opts.forcing }),
      ...(opts.reasoning ? { reasoningParser: fakeReasoningParser() } : {}),
      ...(opts.encoder ? { chatEncoder: encoder } : {}),
    },
    ...opts,
  });
  return { ...h, encoder, promptText: (i = 0) => h.tokenizer.decode(h.engine.submitted[i].inputIds) };
}

/** folds the SSE chunks of one choice back into a message */
async function streamedChoice(res: Response, index = 0) {
  const events = await readSse(res);
  let content = '';
  let reasoning = '';
  let finish: string | null = null;
  const calls: Array<{ id: string; type: string; function: { name: string; arguments: string } }> = [];
  for (const e of events) {
    if (e === '[DONE]') continue;
    for (const c of e.choices) {
      if (c.index !== index) continue;
      content += c.delta.content ?? '';
      reasoning += c.delta.reasoning_content ?? '';
      for (const t of c.delta.tool_calls ?? []) {
        if (!calls[t.index]) {
          expect(t.id, 'the first delta of a call carries its id').toBeTruthy();
          expect(t.type).toBe('function');
          calls[t.index] = { id: t.id, type: t.type, function: { name: t.function.name, arguments: '' } };
        }
        calls[t.index].function.arguments += t.function.arguments ?? '';
      }
      finish = c.finish_reason ?? finish;
    }
  }
  expect(events.at(-1)).toBe('[DONE]');
  return { content, reasoning, calls, finish };
}

describe('tool calls', () => {
  it('returns tool_calls with finish_reason "tool_calls"; streaming adds up to the same message', async () => {
    const h = harness('Checking.@get_weather:{"city": "Paris"};');
    const body = { messages: user, tools: [WEATHER] };
    const res = await postJson(h.app, '/v1/chat/completions', body);
    expect(res.status).toBe(200);
    const [choice] = (await res.json()).choices;
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.content).toBe('Checking.');
    expect(choice.message.tool_calls).toEqual([{ id: expect.stringMatching(/^call_/), type: 'function', function: { name: 'get_weather', arguments: '{"city": "Paris"}' } }]);
    expect(choice.message).not.toHaveProperty('reasoning_content');

    const s = await streamedChoice(await postJson(h.app, '/v1/chat/completions', { ...body, stream: true }));
    expect(s.finish).toBe('tool_calls');
    expect(s.content).toBe('Checking.');
    expect(s.calls.map((c) => c.function)).toEqual(choice.message.tool_calls.map((c: { function: unknown }) => c.function));
  });

  it('content is null when the answer is only tool calls; several calls keep their indexes', async () => {
    const h = harness('@get_weather:{"city": "Paris"};@clock:{};');
    const res = await postJson(h.app, '/v1/chat/completions', { messages: user, tools: [WEATHER, CLOCK] });
    const { message, finish_reason } = (await res.json()).choices[0];
    expect(message.content).toBeNull();
    expect(message.tool_calls.map((c: { function: { name: string } }) => c.function.name)).toEqual(['get_weather', 'clock']);
    expect(finish_reason).toBe('tool_calls');
  });

  it('parallel_tool_calls: false keeps only the first call', async () => {
    const h = harness('@get_weather:{"city": "Paris"};@clock:{};');
    const body = { messages: user, tools: [WEATHER, CLOCK], parallel_tool_calls: false };
    const message = (await (await postJson(h.app, '/v1/chat/completions', body)).json()).choices[0].message;
    expect(message.tool_calls.map((c: { function: { name: string } }) => c.function.name)).toEqual(['get_weather']);
    const s = await streamedChoice(await postJson(h.app, '/v1/chat/completions', { ...body, stream: true }));
    expect(s.calls.map((c) => c.function.name)).toEqual(['get_weather']);
  });

  it('a plain answer stays content with finish_reason "stop"; a call cut off by max_tokens keeps "length"', async () => {
    const plain = harness('It is sunny.');
    const r1 = (await (await postJson(plain.app, '/v1/chat/completions', { messages: user, tools: [WEATHER] })).json()).choices[0];
    expect(r1.message).toMatchObject({ content: 'It is sunny.', tool_calls: [] });
    expect(r1.finish_reason).toBe('stop');
    const cut = harness('@get_weather:{"city": "Pa');
    const r2 = (await (await postJson(cut.app, '/v1/chat/completions', { messages: user, tools: [WEATHER], max_tokens: 20 })).json()).choices[0];
    expect(r2.finish_reason).toBe('length');
    expect(r2.message.tool_calls[0].function.name).toBe('get_weather');
  });

  it('n > 1 streams each choice through its own parser', async () => {
    const h = harness('ok@clock:{};');
    const res = await postJson(h.app, '/v1/chat/completions', { messages: user, tools: [CLOCK], n: 2, stream: true });
    const text = await res.clone().text();
    for (const index of [0, 1]) {
      const s = await streamedChoice(new Response(text), index);
      expect(s).toMatchObject({ content: 'ok', finish: 'tool_calls' });
      expect(s.calls.map((c) => c.function)).toEqual([{ name: 'clock', arguments: '{}' }]);
    }
  });

  it('tool_choice "none" leaves tools out of the prompt and the output unparsed', async () => {
    const h = harness('@get_weather:{};', { encoder: true });
    const r = (await (await postJson(h.app, '/v1/chat/completions', { messages: user, tools: [WEATHER], tool_choice: 'none' })).json()).choices[0];
    expect(h.encoder.calls[0].opts.tools).toBeUndefined();
    expect(r.message).toMatchObject({ content: '@get_weather:{};', tool_calls: [] });
    expect(r.finish_reason).toBe('stop');
  });

  it('passes tools and message history (tool results, earlier calls) to the chat encoder', async () => {
    const h = harness('Sunny.', { encoder: true });
    const messages = [
      { role: 'user', content: 'Weather?' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
      { role: 'tool', tool_call_id: 'c1', content: '{"sky":"clear"}' },
    ];
    const res = await postJson(h.app, '/v1/chat/completions', { messages, tools: [WEATHER], tool_choice: 'auto', reasoning_effort: 'high' });
    expect(res.status).toBe(400); // reasoning_effort needs a reasoning parser
    const ok = await postJson(h.app, '/v1/chat/completions', { messages, tools: [WEATHER], tool_choice: 'auto' });
    expect(ok.status).toBe(200);
    const { messages: seen, opts } = h.encoder.calls.at(-1)!;
    expect(opts.tools).toEqual([WEATHER]);
    expect(opts.addGenerationPrompt).toBe(true);
    expect(seen[1].tool_calls).toEqual(messages[1].tool_calls);
    expect(seen[2]).toMatchObject({ role: 'tool', tool_call_id: 'c1', content: '{"sky":"clear"}' });
    expect(h.promptText()).toBe('<user>Weather?<assistant><tool>{"sky":"clear"}[tools:get_weather]<assistant>');
  });

  it('tool_choice "required" and a named function force the answer start through the encoder', async () => {
    const required = harness('clock:{};', { encoder: true });
    const r1 = (await (await postJson(required.app, '/v1/chat/completions', { messages: user, tools: [WEATHER, CLOCK], tool_choice: 'required' })).json()).choices[0];
    expect(required.promptText().endsWith('<assistant>@')).toBe(true);
    expect(r1.message.tool_calls.map((c: { function: unknown }) => c.function)).toEqual([{ name: 'clock', arguments: '{}' }]);
    expect(r1.finish_reason).toBe('tool_calls');

    const named = harness('{"city": "Paris"};', { encoder: true });
    const body = { messages: user, tools: [WEATHER, CLOCK], tool_choice: { type: 'function', function: { name: 'get_weather' } } };
    const r2 = (await (await postJson(named.app, '/v1/chat/completions', body)).json()).choices[0];
    expect(named.promptText().endsWith('<assistant>@get_weather:')).toBe(true);
    expect(r2.message.tool_calls.map((c: { function: unknown }) => c.function)).toEqual([{ name: 'get_weather', arguments: '{"city": "Paris"}' }]);
    // streamed: the forced call's header arrives before any generated text needs to
    const s = await streamedChoice(await postJson(named.app, '/v1/chat/completions', { ...body, stream: true }));
    expect(s.calls.map((c) => c.function)).toEqual([{ name: 'get_weather', arguments: '{"city": "Paris"}' }]);
    expect(s.finish).toBe('tool_calls');
  });

  it('refuses with 400 what it cannot honour, naming the field', async () => {
    const cases: Array<[HarnessOptions & { encoder?: boolean; forcing?: boolean }, Record<string, unknown>, string, RegExp]> = [
      [{}, { tools: [WEATHER], tool_choice: 'required' }, 'tool_choice', /chat template/], // forcing needs the encoder
      [{ encoder: true, forcing: false }, { tools: [WEATHER], tool_choice: 'required' }, 'tool_choice', /cannot be enforced/],
      [{ encoder: true }, { tools: [WEATHER], tool_choice: 'required', chat_template_kwargs: { thinking: true } }, 'tool_choice', /thinking/],
      [{ encoder: true }, { tools: [WEATHER], tool_choice: { type: 'function', function: { name: 'nope' } } }, 'tool_choice', /not in `tools`/],
      [{ encoder: true }, { tool_choice: 'required' }, 'tool_choice', /non-empty `tools`/],
      [{}, { tools: [WEATHER], tool_choice: 'sometimes' }, 'tool_choice', /must be "none", "auto"/],
      [{}, { tools: [{ type: 'function', function: { name: 'bad name!' } }] }, 'tools[0].function.name', /letters, digits/],
      [{}, { tools: [{ type: 'retrieval' }] }, 'tools[0].type', /"function"/],
      [{}, { tools: ['get_weather'] }, 'tools[0]', /object/],
      [{}, { tools: [{ type: 'function', function: { name: 'f', parameters: [] } }] }, 'tools[0].function.parameters', /JSON Schema/],
      [{ encoder: true }, { chat_template_kwargs: { thinking: 'yes' } }, 'chat_template_kwargs', /true or false/],
    ];
    for (const [opts, extra, param, message] of cases) {
      const h = harness('x', opts);
      const res = await postJson(h.app, '/v1/chat/completions', { messages: user, ...extra });
      const body = await res.json();
      expect(res.status, JSON.stringify(extra)).toBe(400);
      expect(body.error.param, JSON.stringify(extra)).toBe(param);
      expect(body.error.message).toMatch(message);
      expect(h.engine.submitted).toHaveLength(0);
    }
  });

  it('without a tool-call parser, tools are still refused (400 naming tools)', async () => {
    const h = makeHarness();
    const res = await postJson(h.app, '/v1/chat/completions', { messages: user, tools: [WEATHER] });
    expect(res.status).toBe(400);
    expect((await res.json()).error.param).toBe('tools');
  });
});

describe('reasoning_content', () => {
  it('separates reasoning from the answer in thinking mode, streaming and not', async () => {
    const h = harness('Paris is in France.|Sunny, 22C.', { encoder: true, reasoning: true });
    const body = { messages: user, chat_template_kwargs: { thinking: true } };
    const message = (await (await postJson(h.app, '/v1/chat/completions', body)).json()).choices[0].message;
    expect(message).toMatchObject({ content: 'Sunny, 22C.', reasoning_content: 'Paris is in France.', tool_calls: [] });
    const s = await streamedChoice(await postJson(h.app, '/v1/chat/completions', { ...body, stream: true }));
    expect(s).toMatchObject({ content: 'Sunny, 22C.', reasoning: 'Paris is in France.', finish: 'stop' });
  });

  it('chat mode prompts give content only (reasoning_content null); reasoning_effort reaches the encoder', async () => {
    const h = harness('a|b', { encoder: true, reasoning: true });
    const message = (await (await postJson(h.app, '/v1/chat/completions', { messages: user, reasoning_effort: 'max' })).json()).choices[0].message;
    expect(message).toMatchObject({ content: 'a|b', reasoning_content: null });
    expect(h.encoder.calls[0].opts.reasoningEffort).toBe('max');
  });

  it('reasoning, then tool calls in the answer', async () => {
    const h = harness('need weather|Let me look.@get_weather:{"city": "Paris"};', { encoder: true, reasoning: true });
    const body = { messages: user, tools: [WEATHER], chat_template_kwargs: { thinking: true } };
    const choice = (await (await postJson(h.app, '/v1/chat/completions', body)).json()).choices[0];
    expect(choice.message.reasoning_content).toBe('need weather');
    expect(choice.message.content).toBe('Let me look.');
    expect(choice.message.tool_calls[0].function).toEqual({ name: 'get_weather', arguments: '{"city": "Paris"}' });
    expect(choice.finish_reason).toBe('tool_calls');
    const s = await streamedChoice(await postJson(h.app, '/v1/chat/completions', { ...body, stream: true }));
    expect(s).toMatchObject({ reasoning: 'need weather', content: 'Let me look.', finish: 'tool_calls' });
  });

  it('keeps special tokens in the decoded text for parsers that need them, unless the client says otherwise', async () => {
    const seen: boolean[] = [];
    const streamText = (e: Parameters<typeof fakeStreamText>[0], t: Parameters<typeof fakeStreamText>[1], req: TextGenerationRequest, s?: AbortSignal) => {
      seen.push(req.skipSpecialTokens);
      return fakeStreamText(e, t, req, s);
    };
    const h = harness('a', { reasoning: true, deps: { streamText } });
    await postJson(h.app, '/v1/chat/completions', { messages: user });
    await postJson(h.app, '/v1/chat/completions', { messages: user, skip_special_tokens: true });
    const plain = makeHarness({ deps: { streamText } });
    await postJson(plain.app, '/v1/chat/completions', { messages: user });
    expect(seen).toEqual([false, true, true]);
  });
});

describe('the openai client reads tool calls and reasoning', () => {
  it('non-streaming and streaming', async () => {
    const h = await startHarness({
      engine: { reply: () => 'hmm|@get_weather:{"city": "Paris"};' },
      hasChatTemplate: false,
      model: { toolParser: fakeToolParser(), reasoningParser: fakeReasoningParser(), chatEncoder: new FakeChatEncoder() },
    });
    try {
      const client = new OpenAI({ baseURL: `${h.server.url}/v1`, apiKey: 'x', maxRetries: 0 });
      const params = {
        model: 'fake-model',
        messages: [{ role: 'user' as const, content: 'Weather?' }],
        tools: [WEATHER as OpenAI.ChatCompletionTool],
        chat_template_kwargs: { thinking: true }, // a server extension, sent as-is
      };
      const r = await client.chat.completions.create(params);
      const call = r.choices[0].message.tool_calls![0] as OpenAI.ChatCompletionMessageFunctionToolCall;
      expect(call.function).toEqual({ name: 'get_weather', arguments: '{"city": "Paris"}' });
      expect(r.choices[0].finish_reason).toBe('tool_calls');
      expect((r.choices[0].message as unknown as { reasoning_content: string }).reasoning_content).toBe('hmm');

      const stream = client.chat.completions.stream(params);
      const final = await stream.finalChatCompletion();
      const streamedCall = final.choices[0].message.tool_calls![0] as OpenAI.ChatCompletionMessageFunctionToolCall;
      expect(streamedCall.function).toEqual({ name: 'get_weather', arguments: '{"city": "Paris"}' });
      expect(final.choices[0].finish_reason).toBe('tool_calls');
    } finally {
      await h.server.close(0);
    }
  });
});
