/** POST /v1/chat/completions: OpenAI chat, streaming (SSE) or not, n choices. */
import type { Hono } from 'hono';
import { requireModel, type AppContext } from '../context.ts';
import { chatLogprobs, type ChatTokenLogprob } from '../format/chat-logprobs.ts';
import { usage } from '../format/usage.ts';
import { newId, unixSeconds } from '../generation/ids.ts';
import { peekFirst, replay } from '../generation/peek-first.ts';
import { missingDone, runChoices, type ChoiceEvent } from '../generation/run-choices.ts';
import { encodeChatPrompt } from '../prompt/chat-prompt.ts';
import { readJsonBody } from '../request/read-json-body.ts';
import { validateBody } from '../request/validate-body.ts';
import { OPENAI_FIELD_NAMES, type FieldNames, type GenerationFields } from '../sampling/generation-fields.ts';
import { rejectUnsupportedChat } from '../sampling/reject-unsupported.ts';
import { buildTextRequests, checkGenerationFields } from '../sampling/resolve-generation.ts';
import { chatCompletionRequestSchema, type ChatCompletionRequest } from '../schemas/chat-completion-request.ts';
import { DONE, sseResponse } from '../sse/sse-response.ts';
import { streamErrorFrame } from '../sse/stream-error-frame.ts';
import type { ServedModel } from '../types.ts';

export function registerChatCompletions(app: Hono, ctx: AppContext): void {
  app.post('/v1/chat/completions', async (c) => {
    const body = await readJsonBody(c.req.raw, ctx.limits.maxBodyBytes);
    const req = validateBody(chatCompletionRequestSchema, body, ctx.logger, '/v1/chat/completions');
    const model = requireModel(ctx, req.model);
    rejectUnsupportedChat(req, model);
    const { fields, names } = chatFields(req);
    checkGenerationFields(fields, names, model, ctx.limits);
    const promptIds = encodeChatPrompt(model.tokenizer, req.messages, {
      addGenerationPrompt: req.add_generation_prompt,
      templateKwargs: req.chat_template_kwargs,
      tools: req.tools,
    });
    const id = newId('chatcmpl');
    // the room left in the context is the default completion length (vLLM), unless generation_config caps it
    const requests = buildTextRequests(fields, names, model, promptIds, {
      idPrefix: id,
      defaultMaxTokens: (room) => model.defaults.maxNewTokens ?? room,
    });
    const signal = c.req.raw.signal;
    const events = runChoices(requests, { streamText: await ctx.streamText(), model, metrics: ctx.metrics, signal });
    const meta: ChatMeta = { id, created: unixSeconds(), model, n: fields.n, promptTokens: promptIds.length, topLogprobs: fields.returnLogprob ? fields.topLogprobs : -1 };
    if (!req.stream) return c.json(await collectChat(events, meta));
    const peeked = await peekFirst(events);
    const frames = chatFrames(replay(peeked), meta, {
      includeUsage: req.stream_options?.include_usage ?? false,
      continuousUsage: req.stream_options?.continuous_usage_stats ?? false,
    });
    return sseResponse(frames, () => void events.return(undefined));
  });
}

function chatFields(req: ChatCompletionRequest): { fields: GenerationFields; names: FieldNames } {
  const useCompletionTokens = req.max_completion_tokens !== undefined && req.max_completion_tokens !== null;
  return {
    fields: {
      maxTokens: useCompletionTokens ? req.max_completion_tokens : req.max_tokens,
      minTokens: req.min_tokens,
      temperature: req.temperature,
      topP: req.top_p,
      topK: req.top_k,
      minP: req.min_p,
      seed: req.seed,
      presencePenalty: req.presence_penalty,
      frequencyPenalty: req.frequency_penalty,
      repetitionPenalty: req.repetition_penalty,
      stop: req.stop,
      stopTokenIds: req.stop_token_ids,
      ignoreEos: req.ignore_eos,
      skipSpecialTokens: req.skip_special_tokens,
      n: req.n ?? 1,
      returnLogprob: req.logprobs ?? false,
      topLogprobs: req.top_logprobs ?? 0,
    },
    names: {
      ...OPENAI_FIELD_NAMES,
      prompt: 'messages',
      maxTokens: useCompletionTokens ? 'max_completion_tokens' : 'max_tokens',
      topLogprobs: 'top_logprobs',
    },
  };
}

interface ChatMeta {
  id: string;
  created: number;
  model: ServedModel;
  n: number;
  promptTokens: number;
  /** -1 = logprobs not requested */
  topLogprobs: number;
}

async function collectChat(events: AsyncGenerator<ChoiceEvent>, meta: ChatMeta) {
  const text = Array.from({ length: meta.n }, () => '');
  const logprobs: ChatTokenLogprob[][] = Array.from({ length: meta.n }, () => []);
  const done: Array<Extract<ChoiceEvent, { type: 'done' }> | undefined> = new Array(meta.n);
  for await (const ev of events) {
    if (ev.type === 'error') throw ev.error;
    if (ev.type === 'delta') {
      text[ev.index] += ev.text;
      if (meta.topLogprobs >= 0 && ev.logprobs) logprobs[ev.index].push(...chatLogprobs(meta.model.tokenizer, ev.logprobs, meta.topLogprobs));
    } else done[ev.index] = ev;
  }
  let completionTokens = 0;
  let cached = 0;
  const choices = text.map((content, index) => {
    const d = done[index];
    if (!d) throw missingDone(index);
    completionTokens += d.completionTokens;
    cached = Math.max(cached, d.cachedTokens);
    return {
      index,
      message: { role: 'assistant' as const, content, tool_calls: [] },
      logprobs: meta.topLogprobs >= 0 ? { content: logprobs[index] } : null,
      finish_reason: d.finishReason,
      stop_reason: d.matchedStop ?? null,
    };
  });
  return {
    id: meta.id,
    object: 'chat.completion' as const,
    created: meta.created,
    model: meta.model.name,
    choices,
    usage: usage(meta.promptTokens, completionTokens, cached),
  };
}

async function* chatFrames(
  events: AsyncGenerator<ChoiceEvent>,
  meta: ChatMeta,
  opts: { includeUsage: boolean; continuousUsage: boolean },
): AsyncGenerator<string> {
  let completionTokens = 0; // running count for continuous usage
  let finalCompletionTokens = 0; // the engine's own counts, reported in the usage chunk
  let cached = 0;
  const chunk = (choice: object | null) =>
    JSON.stringify({
      id: meta.id,
      object: 'chat.completion.chunk',
      created: meta.created,
      model: meta.model.name,
      choices: choice ? [choice] : [],
      ...(opts.includeUsage ? { usage: opts.continuousUsage ? usage(meta.promptTokens, completionTokens, cached) : null } : {}),
    });
  try {
    for (let index = 0; index < meta.n; index++) {
      yield chunk({ index, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null });
    }
    for await (const ev of events) {
      if (ev.type === 'error') throw ev.error;
      if (ev.type === 'delta') {
        completionTokens += ev.tokenIds.length;
        const lp = meta.topLogprobs >= 0 && ev.logprobs ? { content: chatLogprobs(meta.model.tokenizer, ev.logprobs, meta.topLogprobs) } : null;
        if (ev.text === '' && !lp) continue;
        yield chunk({ index: ev.index, delta: { content: ev.text }, logprobs: lp, finish_reason: null });
      } else {
        cached = Math.max(cached, ev.cachedTokens);
        finalCompletionTokens += ev.completionTokens;
        yield chunk({ index: ev.index, delta: {}, logprobs: null, finish_reason: ev.finishReason, stop_reason: ev.matchedStop ?? null });
      }
    }
    if (opts.includeUsage) {
      yield JSON.stringify({
        id: meta.id,
        object: 'chat.completion.chunk',
        created: meta.created,
        model: meta.model.name,
        choices: [],
        usage: usage(meta.promptTokens, finalCompletionTokens, cached),
      });
    }
  } catch (err) {
    yield streamErrorFrame(err);
  }
  yield DONE;
}
