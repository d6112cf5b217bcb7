/** Everything a route handler needs, built once per app by createApp. */
import { modelNotFound, serviceUnavailable } from './errors/api-error.ts';
import type { ServingMetrics } from './metrics/serving-metrics.ts';
import type { AppLimits, AppLogger, ServedModel, StreamText } from './types.ts';

export const DEFAULT_LIMITS: AppLimits = {
  maxBodyBytes: 8 * 1024 * 1024,
  maxN: 128,
  maxStopSequences: 64,
  maxStopLength: 1024,
  maxTopLogprobs: 20,
};

export interface AppContext {
  readonly model: ServedModel | undefined;
  readonly limits: AppLimits;
  readonly logger: AppLogger;
  readonly metrics: ServingMetrics;
  readonly streamText: () => Promise<StreamText>;
  /** unix seconds; `created` in responses that have no better time */
  readonly startedAt: number;
}

/** The served model, checked against the request's `model` field; 404/503 as OpenAI clients expect. */
export function requireModel(ctx: AppContext, requested: string | null | undefined): ServedModel {
  const model = ctx.model;
  if (!model) {
    if (requested) throw modelNotFound(requested);
    throw serviceUnavailable('No model is loaded on this server; start it with --model-path.');
  }
  if (requested && requested !== model.name) throw modelNotFound(requested);
  if (!model.ready()) throw serviceUnavailable('The model is still loading; retry when GET /health returns 200.');
  return model;
}
