/**
 * POST /v1/chat/completions: OpenAI chat, streaming (SSE) or not, n choices. With a reasoning parser the
 * answer's reasoning goes to `reasoning_content`; with a tool-call parser, `tools` are described in the prompt
 * and calls come back as `tool_calls` (finish_reason "tool_calls").
 */
import type { ToolCall } from '@plexus/core';
import type { Hono } from 'hono';
import { requireModel, type AppContext } from '../context.ts';
import { chatLogprobs, type ChatTokenLogprob } from '../format/chat-logprobs.ts';
import { usage } from '../format/usage.ts';
import { newId, unixSeconds } from '../generation/ids.ts';
import { ChatOutputParser, foldToolCalls, type ChatOutputDelta } from '../generation/chat-output.ts';
import { peekFirst, replay } from '../generation/peek-first.ts';
import { missingDone, runChoices, type ChoiceEvent } from '../generation/run-choices.ts';
import { encodeChatPrompt } from '../prompt/chat-prompt.ts';
import { readJsonBody } from '../request/read-json-body.ts';
import { validateBody } from '../request/validate-body.ts';
import { OPENAI_FIELD_NAMES, openAiSamplingFields, type FieldNames, type GenerationFields } from '../sampling/generation-fields.ts';
import { rejectUnsupportedChat } from '../sampling/reject-unsupported.ts';
import { buildTextRequests, checkGenerationFields } from '../sampling/resolve-generation.ts';
import { chatCompletionRequestSchema, type ChatCompletionRequest } from '../schemas/chat-completion-request.ts';
import { DONE, sseResponse } from '../sse/sse-response.ts';
import { streamErrorFrame } from '../sse/stream-error-frame.ts';
import { planTools, type ToolPlan } from '../tools/tool-plan.ts';
import type { ServedModel } from '../types.ts';

export function registerChatCompletions(app: Hono, ctx: AppContext): void {
  app.post('/v1/chat/completions', async (c) => {
    const body = await readJsonBody(c.req.raw, ctx.limits.maxBodyBytes);
    const req = validateBody(chatCompletionRequestSchema, body, ctx.logger, '/v1/chat/completions');
    const model = requireModel(ctx, req.model);
    rejectUnsupportedChat(req, model);
    const plan = planTools(req, model);
    const { fields, names } = chatFields(req, keepsSpecialTokens(model, plan));
    checkGenerationFields(fields, names, model, ctx.limits);
    const prompt = encodeChatPrompt(model, req.messages, {
      addGenerationPrompt: req.add_generation_prompt,
      templateKwargs: req.chat_template_kwargs,
      tools: plan.promptTools,
      reasoningEffort: req.reasoning_effort,
      answerPrefix: plan.forcedPrefix,
    });
    const promptIds = prompt.ids;
    const id = newId('chatcmpl');
    // the room left in the context is the default completion length (vLLM), unless generation_config caps it
    const requests = buildTextRequests(fields, names, model, promptIds, {
      idPrefix: id,
      defaultMaxTokens: (room) => model.defaults.maxNewTokens ?? room,
    });
    const signal = c.req.raw.signal;
    const events = runChoices(requests, { streamText: await ctx.streamText(), model, metrics: ctx.metrics, signal });
    const parsing = model.reasoningParser !== undefined || plan.parser !== undefined;
    const meta: ChatMeta = {
      id,
      created: unixSeconds(),
      model,
      n: fields.n,
      promptTokens: promptIds.length,
      topLogprobs: fields.returnLogprob ? fields.topLogprobs : -1,
      newParser: parsing ? () => new ChatOutputParser(model.reasoningParser, plan, prompt.text) : undefined,
    };
    if (!req.stream) return c.json(await collectChat(events, meta));
    const peeked = await peekFirst(events);
    const frames = chatFrames(replay(peeked), meta, {
      includeUsage: req.stream_options?.include_usage ?? false,
      continuousUsage: req.stream_options?.continuous_usage_stats ?? false,
    });
    return sseResponse(frames, () => void events.return(undefined));
  });
}

/** parsers whose markers may be special tokens need them in the text, unless the client decides otherwise */
function keepsSpecialTokens(model: ServedModel, plan: ToolPlan): boolean {
  return (model.reasoningParser?.needsSpecialTokens ?? false) || (plan.parser?.needsSpecialTokens ?? false);
}

function chatFields(req: ChatCompletionRequest, keepSpecialTokens: boolean): { fields: GenerationFields; names: FieldNames } {
  const useCompletionTokens = req.max_completion_tokens !== undefined && req.max_completion_tokens !== null;
  return {
    fields: {
      maxTokens: useCompletionTokens ? req.max_completion_tokens : req.max_tokens,
      ...openAiSamplingFields(req),
      skipSpecialTokens: req.skip_special_tokens ?? (keepSpecialTokens ? false : undefined),
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
  /** one output parser per choice, when a reasoning or tool-call parser applies */
  newParser?: () => ChatOutputParser;
}

/** finish_reason "tool_calls" when the answer ended (not cut off) with calls */
const finishReason = (reason: string, toolCalls: number): string => (reason === 'stop' && toolCalls > 0 ? 'tool_calls' : reason);

/** a streamed delta: only the parts that have text */
function outputDelta(out: ChatOutputDelta): Record<string, unknown> {
  const delta: Record<string, unknown> = {};
  if (out.reasoning) delta.reasoning_content = out.reasoning;
  if (out.content) delta.content = out.content;
  if (out.toolCalls.length > 0) delta.tool_calls = out.toolCalls;
  return delta;
}

/** the assistant message of a non-streaming choice: the whole text through the same parsers as streaming */
function chatMessage(text: string, meta: ChatMeta) {
  if (!meta.newParser) return { role: 'assistant' as const, content: text as string | null, tool_calls: [] as ToolCall[] };
  const parser = meta.newParser();
  const a = parser.push(text);
  const b = parser.finish();
  const toolCalls = foldToolCalls([...a.toolCalls, ...b.toolCalls]);
  const content = a.content + b.content;
  return {
    role: 'assistant' as const,
    // OpenAI sends null content when the answer is only tool calls
    content: content === '' && toolCalls.length > 0 ? null : content,
    ...(meta.model.reasoningParser ? { reasoning_content: a.reasoning + b.reasoning || null } : {}),
    tool_calls: toolCalls,
  };
}

async function collectChat(events: AsyncGenerator<ChoiceEvent>, meta: ChatMeta) {
  const texts = Array.from({ length: meta.n }, () => '');
  const logprobs: ChatTokenLogprob[][] = Array.from({ length: meta.n }, () => []);
  const done: Array<Extract<ChoiceEvent, { type: 'done' }> | undefined> = new Array(meta.n);
  for await (const ev of events) {
    if (ev.type === 'error') throw ev.error;
    if (ev.type === 'delta') {
      texts[ev.index] += ev.text;
      if (meta.topLogprobs >= 0 && ev.logprobs) logprobs[ev.index].push(...chatLogprobs(meta.model.tokenizer, ev.logprobs, meta.topLogprobs));
    } else done[ev.index] = ev;
  }
  let completionTokens = 0;
  let cached = 0;
  const choices = texts.map((text, index) => {
    const d = done[index];
    if (!d) throw missingDone(index);
    completionTokens += d.completionTokens;
    cached = Math.max(cached, d.cachedTokens);
    const message = chatMessage(text, meta);
    return {
      index,
      message,
      logprobs: meta.topLogprobs >= 0 ? { content: logprobs[index] } : null,
      finish_reason: finishReason(d.finishReason, message.tool_calls.length),
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
  const parsers = meta.newParser ? Array.from({ length: meta.n }, meta.newParser) : undefined;
  try {
    for (let index = 0; index < meta.n; index++) {
      yield chunk({ index, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null });
    }
    for await (const ev of events) {
      if (ev.type === 'error') throw ev.error;
      if (ev.type === 'delta') {
        completionTokens += ev.tokenIds.length;
        const lp = meta.topLogprobs >= 0 && ev.logprobs ? { content: chatLogprobs(meta.model.tokenizer, ev.logprobs, meta.topLogprobs) } : null;
        const delta = parsers ? outputDelta(parsers[ev.index].push(ev.text)) : { content: ev.text };
        const empty = parsers ? Object.keys(delta).length === 0 : ev.text === '';
        if (empty && !lp) continue;
        yield chunk({ index: ev.index, delta: empty ? { content: '' } : delta, logprobs: lp, finish_reason: null });
      } else {
        cached = Math.max(cached, ev.cachedTokens);
        finalCompletionTokens += ev.completionTokens;
        let reason: string = ev.finishReason;
        if (parsers) {
          // the text ended: whatever the parsers held back (a half marker, an open call) comes out now
          const parser = parsers[ev.index];
          const rest = outputDelta(parser.finish());
          if (Object.keys(rest).length > 0) yield chunk({ index: ev.index, delta: rest, logprobs: null, finish_reason: null });
          reason = finishReason(reason, parser.toolCallCount);
        }
        yield chunk({ index: ev.index, delta: {}, logprobs: null, finish_reason: reason, stop_reason: ev.matchedStop ?? null });
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
