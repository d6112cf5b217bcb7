/**
 * POST /generate (SGLang native): `text` or `input_ids` (one prompt or a batch), `sampling_params`,
 * `return_logprob` + `top_logprobs_num`, `stream`. Results carry `text`, `output_ids` and `meta_info`.
 * Streaming chunks carry the cumulative `text` (SGLang's convention) and the chunk's new `output_ids`.
 */
import type { TextGenerationRequest, TokenLogprob } from '@plexus/core';
import type { Hono } from 'hono';
import { requireModel, type AppContext } from '../context.ts';
import { badRequest } from '../errors/api-error.ts';
import { tokenText } from '../format/token-text.ts';
import { newId } from '../generation/ids.ts';
import { peekFirst, replay } from '../generation/peek-first.ts';
import { missingDone, runChoices, type ChoiceEvent } from '../generation/run-choices.ts';
import { encodePrompts } from '../prompt/completion-prompt.ts';
import { readJsonBody } from '../request/read-json-body.ts';
import { validateBody } from '../request/validate-body.ts';
import type { FieldNames, GenerationFields } from '../sampling/generation-fields.ts';
import { rejectUnsupportedGenerate } from '../sampling/reject-unsupported.ts';
import { buildTextRequests, checkGenerationFields } from '../sampling/resolve-generation.ts';
import { generateRequestSchema, type GenerateRequestBody } from '../schemas/generate-request.ts';
import { DONE, sseResponse } from '../sse/sse-response.ts';
import { streamErrorFrame } from '../sse/stream-error-frame.ts';
import type { ServedModel } from '../types.ts';

/** SGLang's default max_new_tokens */
const DEFAULT_MAX_NEW_TOKENS = 128;

type Done = Extract<ChoiceEvent, { type: 'done' }>;
/** [logprob, token id, token text or null], SGLang's tuple */
type LogprobTuple = [number, number, string | null];

export function registerGenerate(app: Hono, ctx: AppContext): void {
  app.post('/generate', async (c) => {
    const body = await readJsonBody(c.req.raw, ctx.limits.maxBodyBytes);
    const req = validateBody(generateRequestSchema, body, ctx.logger, '/generate');
    const model = requireModel(ctx, req.model);
    rejectUnsupportedGenerate(req);
    const { fields, names } = generateFields(req);
    checkGenerationFields(fields, names, model, ctx.limits);
    const hasText = req.text !== undefined && req.text !== null;
    const hasIds = req.input_ids !== undefined && req.input_ids !== null;
    if (hasText === hasIds) throw badRequest('Send exactly one of `text` and `input_ids`.', hasText ? 'input_ids' : 'text');
    const param = hasText ? 'text' : 'input_ids';
    const prompts = encodePrompts(model.tokenizer, (hasText ? req.text : req.input_ids)!, param, ctx.limits.maxN);
    if (prompts.length * fields.n > ctx.limits.maxN) {
      throw badRequest(`${prompts.length} prompts × n=${fields.n} exceeds the limit of ${ctx.limits.maxN} outputs per request.`, 'sampling_params.n');
    }
    const id = newId('gen');
    const requests: TextGenerationRequest[] = prompts.flatMap((ids, p) =>
      buildTextRequests(fields, { ...names, prompt: prompts.length > 1 ? `${param}[${p}]` : param }, model, ids, {
        idPrefix: `${id}-${p}`,
        defaultMaxTokens: () => DEFAULT_MAX_NEW_TOKENS,
      }),
    );
    const batch = Array.isArray(req.text) || (hasIds && prompts.length > 1) || fields.n > 1 || Array.isArray(req.rid);
    const meta: GenerateMeta = {
      requests,
      model,
      started: performance.now(),
      logprobs: fields.returnLogprob,
      withText: req.return_text_in_logprobs ?? false,
    };
    const events = runChoices(requests, { streamText: await ctx.streamText(), model, metrics: ctx.metrics, signal: c.req.raw.signal });
    if (!req.stream) {
      const results = await collectGenerate(events, meta);
      return c.json(batch ? results : results[0]);
    }
    const peeked = await peekFirst(events);
    return sseResponse(generateFrames(replay(peeked), meta, batch), () => void events.return(undefined));
  });
}

function generateFields(req: GenerateRequestBody): { fields: GenerationFields; names: FieldNames } {
  const sp = req.sampling_params ?? {};
  return {
    fields: {
      maxTokens: sp.max_new_tokens,
      minTokens: sp.min_new_tokens,
      temperature: sp.temperature,
      topP: sp.top_p,
      topK: sp.top_k,
      minP: sp.min_p,
      seed: sp.sampling_seed ?? sp.seed,
      presencePenalty: sp.presence_penalty,
      frequencyPenalty: sp.frequency_penalty,
      repetitionPenalty: sp.repetition_penalty,
      stop: sp.stop,
      stopTokenIds: sp.stop_token_ids,
      ignoreEos: sp.ignore_eos,
      skipSpecialTokens: sp.skip_special_tokens,
      n: sp.n ?? 1,
      returnLogprob: req.return_logprob ?? false,
      topLogprobs: req.top_logprobs_num ?? 0,
    },
    names: {
      prompt: 'text',
      maxTokens: 'sampling_params.max_new_tokens',
      minTokens: 'sampling_params.min_new_tokens',
      stop: 'sampling_params.stop',
      stopTokenIds: 'sampling_params.stop_token_ids',
      n: 'sampling_params.n',
      topLogprobs: 'top_logprobs_num',
      seed: 'sampling_params.seed',
    },
  };
}

interface GenerateMeta {
  requests: TextGenerationRequest[];
  model: ServedModel;
  started: number;
  logprobs: boolean;
  withText: boolean;
}

/** one output's running state */
class Output {
  text = '';
  ids: number[] = [];
  tokenLogprobs: LogprobTuple[] = [];
  topLogprobs: LogprobTuple[][] = [];
  done: Done | undefined;
  constructor(readonly id: string, readonly promptTokens: number) {}
}

function logprobTuples(meta: GenerateMeta, lps: readonly TokenLogprob[]): { chosen: LogprobTuple[]; top: LogprobTuple[][] } {
  const text = (id: number) => (meta.withText ? tokenText(meta.model.tokenizer, id) : null);
  return {
    chosen: lps.map((lp) => [lp.logprob, lp.tokenId, text(lp.tokenId)]),
    top: lps.map((lp) => lp.top.map((t) => [t.logprob, t.tokenId, text(t.tokenId)] as LogprobTuple)),
  };
}

function finishReason(d: Done | undefined) {
  if (!d) return null;
  if (d.finishReason === 'length') return { type: 'length', length: d.completionTokens };
  if (d.finishReason === 'abort') return { type: 'abort', message: 'request aborted' };
  return { type: 'stop', matched: d.matchedStop ?? null };
}

function result(o: Output, meta: GenerateMeta, ids: number[], lp: { chosen: LogprobTuple[]; top: LogprobTuple[][] } | undefined) {
  return {
    text: o.text,
    output_ids: ids,
    meta_info: {
      id: o.id,
      finish_reason: finishReason(o.done),
      prompt_tokens: o.promptTokens,
      completion_tokens: o.done?.completionTokens ?? o.ids.length,
      cached_tokens: o.done?.cachedTokens ?? 0,
      e2e_latency: (performance.now() - meta.started) / 1000,
      ...(meta.logprobs && lp ? { output_token_logprobs: lp.chosen, output_top_logprobs: lp.top } : {}),
    },
  };
}

const outputs = (meta: GenerateMeta) => meta.requests.map((r) => new Output(r.id, r.inputIds.length));

async function collectGenerate(events: AsyncGenerator<ChoiceEvent>, meta: GenerateMeta) {
  const outs = outputs(meta);
  for await (const ev of events) {
    if (ev.type === 'error') throw ev.error;
    const o = outs[ev.index];
    if (ev.type === 'delta') {
      o.text += ev.text;
      o.ids.push(...ev.tokenIds);
      if (meta.logprobs && ev.logprobs) {
        const lp = logprobTuples(meta, ev.logprobs);
        o.tokenLogprobs.push(...lp.chosen);
        o.topLogprobs.push(...lp.top);
      }
    } else o.done = ev;
  }
  return outs.map((o, i) => {
    if (!o.done) throw missingDone(i);
    return result(o, meta, o.ids, { chosen: o.tokenLogprobs, top: o.topLogprobs });
  });
}

async function* generateFrames(events: AsyncGenerator<ChoiceEvent>, meta: GenerateMeta, batch: boolean): AsyncGenerator<string> {
  const outs = outputs(meta);
  try {
    for await (const ev of events) {
      if (ev.type === 'error') throw ev.error;
      const o = outs[ev.index];
      let newIds: number[] = [];
      let lp: ReturnType<typeof logprobTuples> | undefined;
      if (ev.type === 'delta') {
        o.text += ev.text;
        o.ids.push(...ev.tokenIds);
        newIds = ev.tokenIds;
        if (meta.logprobs && ev.logprobs) lp = logprobTuples(meta, ev.logprobs);
      } else o.done = ev;
      const r = result(o, meta, newIds, lp ?? { chosen: [], top: [] });
      yield JSON.stringify(batch ? { index: ev.index, ...r } : r);
    }
  } catch (err) {
    yield streamErrorFrame(err);
  }
  yield DONE;
}
