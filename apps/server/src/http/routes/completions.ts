/** POST /v1/completions: legacy completions; prompt as text, texts, token ids or lists of token ids. */
import type { TextGenerationRequest } from '@plexus/core';
import type { Hono } from 'hono';
import { requireModel, type AppContext } from '../context.ts';
import { CompletionLogprobsBuilder, mergeLegacy, type LegacyLogprobs } from '../format/completion-logprobs.ts';
import { usage } from '../format/usage.ts';
import { newId, unixSeconds } from '../generation/ids.ts';
import { peekFirst, replay } from '../generation/peek-first.ts';
import { missingDone, runChoices, type ChoiceEvent } from '../generation/run-choices.ts';
import { encodePrompts } from '../prompt/completion-prompt.ts';
import { readJsonBody } from '../request/read-json-body.ts';
import { validateBody } from '../request/validate-body.ts';
import { OPENAI_FIELD_NAMES, openAiSamplingFields, type FieldNames, type GenerationFields } from '../sampling/generation-fields.ts';
import { rejectUnsupportedCompletion } from '../sampling/reject-unsupported.ts';
import { buildTextRequests, checkGenerationFields } from '../sampling/resolve-generation.ts';
import { completionRequestSchema, type CompletionRequest } from '../schemas/completion-request.ts';
import { DONE, sseResponse } from '../sse/sse-response.ts';
import { streamErrorFrame } from '../sse/stream-error-frame.ts';
import { badRequest } from '../errors/api-error.ts';
import type { ServedModel } from '../types.ts';

/** OpenAI's legacy default, kept by SGLang */
const DEFAULT_MAX_TOKENS = 16;

export function registerCompletions(app: Hono, ctx: AppContext): void {
  app.post('/v1/completions', async (c) => {
    const body = await readJsonBody(c.req.raw, ctx.limits.maxBodyBytes);
    const req = validateBody(completionRequestSchema, body, ctx.logger, '/v1/completions');
    const model = requireModel(ctx, req.model);
    rejectUnsupportedCompletion(req);
    const { fields, names } = completionFields(req);
    checkGenerationFields(fields, names, model, ctx.limits);
    const prompts = encodePrompts(model.tokenizer, req.prompt, 'prompt', ctx.limits.maxN);
    if (prompts.length * fields.n > ctx.limits.maxN) {
      throw badRequest(`${prompts.length} prompts × n=${fields.n} exceeds the limit of ${ctx.limits.maxN} choices per request.`, 'n');
    }
    const id = newId('cmpl');
    const requests: TextGenerationRequest[] = prompts.flatMap((ids, p) =>
      buildTextRequests(fields, { ...names, prompt: prompts.length > 1 ? `prompt[${p}]` : 'prompt' }, model, ids, {
        idPrefix: `${id}-${p}`,
        defaultMaxTokens: () => DEFAULT_MAX_TOKENS,
      }),
    );
    const events = runChoices(requests, { streamText: await ctx.streamText(), model, metrics: ctx.metrics, signal: c.req.raw.signal });
    const meta: CompletionMeta = {
      id,
      created: unixSeconds(),
      model,
      choices: requests.length,
      promptTokens: prompts.reduce((sum, p) => sum + p.length, 0),
      topLogprobs: fields.returnLogprob ? fields.topLogprobs : -1,
    };
    if (!req.stream) return c.json(await collectCompletion(events, meta));
    const peeked = await peekFirst(events);
    const frames = completionFrames(replay(peeked), meta, req.stream_options?.include_usage ?? false);
    return sseResponse(frames, () => void events.return(undefined));
  });
}

function completionFields(req: CompletionRequest): { fields: GenerationFields; names: FieldNames } {
  return {
    fields: {
      maxTokens: req.max_tokens,
      ...openAiSamplingFields(req),
      skipSpecialTokens: req.skip_special_tokens,
      n: req.n ?? 1,
      returnLogprob: req.logprobs !== undefined && req.logprobs !== null,
      topLogprobs: req.logprobs ?? 0,
    },
    names: { ...OPENAI_FIELD_NAMES, prompt: 'prompt', maxTokens: 'max_tokens', topLogprobs: 'logprobs' },
  };
}

interface CompletionMeta {
  id: string;
  created: number;
  model: ServedModel;
  choices: number;
  promptTokens: number;
  /** -1 = logprobs not requested */
  topLogprobs: number;
}

const builders = (meta: CompletionMeta) =>
  Array.from({ length: meta.choices }, () => new CompletionLogprobsBuilder(meta.model.tokenizer, Math.max(0, meta.topLogprobs)));

async function collectCompletion(events: AsyncGenerator<ChoiceEvent>, meta: CompletionMeta) {
  const text = Array.from({ length: meta.choices }, () => '');
  const lp = builders(meta);
  const parts: LegacyLogprobs[][] = Array.from({ length: meta.choices }, () => []);
  const done: Array<Extract<ChoiceEvent, { type: 'done' }> | undefined> = new Array(meta.choices);
  for await (const ev of events) {
    if (ev.type === 'error') throw ev.error;
    if (ev.type === 'delta') {
      text[ev.index] += ev.text;
      if (meta.topLogprobs >= 0 && ev.logprobs) parts[ev.index].push(lp[ev.index].next(ev.logprobs));
    } else done[ev.index] = ev;
  }
  let completionTokens = 0;
  let cached = 0;
  const choices = text.map((t, index) => {
    const d = done[index];
    if (!d) throw missingDone(index);
    completionTokens += d.completionTokens;
    cached += d.cachedTokens;
    return {
      index,
      text: t,
      logprobs: meta.topLogprobs >= 0 ? mergeLegacy(parts[index]) : null,
      finish_reason: d.finishReason,
      stop_reason: d.matchedStop ?? null,
    };
  });
  return {
    id: meta.id,
    object: 'text_completion' as const,
    created: meta.created,
    model: meta.model.name,
    choices,
    usage: usage(meta.promptTokens, completionTokens, Math.min(cached, meta.promptTokens)),
  };
}

async function* completionFrames(events: AsyncGenerator<ChoiceEvent>, meta: CompletionMeta, includeUsage: boolean): AsyncGenerator<string> {
  const lp = builders(meta);
  let completionTokens = 0;
  let cached = 0;
  const chunk = (choices: object[], extra: object = includeUsage ? { usage: null } : {}) =>
    JSON.stringify({ id: meta.id, object: 'text_completion', created: meta.created, model: meta.model.name, choices, ...extra });
  try {
    for await (const ev of events) {
      if (ev.type === 'error') throw ev.error;
      if (ev.type === 'delta') {
        const logprobs = meta.topLogprobs >= 0 && ev.logprobs ? lp[ev.index].next(ev.logprobs) : null;
        if (ev.text === '' && !logprobs) continue;
        yield chunk([{ index: ev.index, text: ev.text, logprobs, finish_reason: null }]);
      } else {
        completionTokens += ev.completionTokens;
        cached += ev.cachedTokens;
        yield chunk([{ index: ev.index, text: '', logprobs: null, finish_reason: ev.finishReason, stop_reason: ev.matchedStop ?? null }]);
      }
    }
    if (includeUsage) yield chunk([], { usage: usage(meta.promptTokens, completionTokens, Math.min(cached, meta.promptTokens)) });
  } catch (err) {
    yield streamErrorFrame(err);
  }
  yield DONE;
}
