/**
 * Runs one engine request per choice and merges their events in arrival order, tagged with the choice index.
 * Stopping the iteration (or the client's signal) aborts every choice still running, so the engine frees KV at once.
 */
import type { TextGenerationEvent, TextGenerationRequest } from '@plexus/core';
import { ApiError } from '../errors/api-error.ts';
import { fromNamed, toApiError } from '../errors/to-api-error.ts';
import type { ServingMetrics } from '../metrics/serving-metrics.ts';
import type { ServedModel, StreamText } from '../types.ts';

type Delta = Extract<TextGenerationEvent, { type: 'delta' }>;
type Done = Extract<TextGenerationEvent, { type: 'done' }>;

export type ChoiceEvent =
  | (Delta & { index: number })
  | (Done & { index: number })
  | { type: 'error'; index: number; error: ApiError };

export interface RunChoicesOptions {
  streamText: StreamText;
  model: ServedModel;
  metrics: ServingMetrics;
  /** the client's signal: aborted when it disconnects or the server shuts down */
  signal: AbortSignal;
}

export async function* runChoices(requests: TextGenerationRequest[], opts: RunChoicesOptions): AsyncGenerator<ChoiceEvent> {
  const local = new AbortController();
  const abort = () => local.abort();
  if (opts.signal.aborted) return;
  opts.signal.addEventListener('abort', abort, { once: true });

  const queue: ChoiceEvent[] = [];
  let wake: (() => void) | undefined;
  let running = requests.length;
  const push = (e: ChoiceEvent) => {
    queue.push(e);
    wake?.();
  };
  const pump = async (req: TextGenerationRequest, index: number) => {
    const observer = opts.metrics.startRequest();
    try {
      for await (const ev of opts.streamText(opts.model.engine, opts.model.tokenizer, req, local.signal)) {
        if (ev.type === 'delta') observer.tokens(ev.tokenIds.length);
        else if (ev.type === 'done') observer.finished(ev.finishReason, ev.promptTokens, ev.completionTokens);
        else observer.failed();
        push(ev.type === 'error' ? { type: 'error', index, error: fromNamed(ev.error.name, ev.error.message) } : { ...ev, index });
        if (ev.type !== 'delta') break;
      }
    } catch (err) {
      if (!local.signal.aborted) {
        observer.failed();
        push({ type: 'error', index, error: toApiError(err) });
      }
    } finally {
      running--;
      wake?.();
    }
  };

  try {
    requests.forEach((r, i) => void pump(r, i));
    while (running > 0 || queue.length > 0) {
      if (queue.length === 0) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        continue;
      }
      yield queue.shift()!;
    }
  } finally {
    opts.signal.removeEventListener('abort', abort);
    local.abort();
  }
}

/** a stream that ended without a `done` event (engine bug or abort) */
export const missingDone = (index: number): ApiError =>
  new ApiError(500, `choice ${index} ended without a finish event`, 'internal_server_error');
