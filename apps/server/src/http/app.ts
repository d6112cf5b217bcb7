/**
 * The OpenAI-compatible HTTP app (hono). One app serves one model; the CLI's `serve` builds the deps,
 * calls createApp and hands the app to startServer.
 */
import { Hono } from 'hono';
import pino from 'pino';
import { DEFAULT_LIMITS, type AppContext } from './context.ts';
import { ApiError } from './errors/api-error.ts';
import { toApiError } from './errors/to-api-error.ts';
import { loadCoreStreamText } from './generation/core-stream-text.ts';
import { unixSeconds } from './generation/ids.ts';
import { createServingMetrics } from './metrics/serving-metrics.ts';
import { requireApiKey } from './middleware/require-api-key.ts';
import { registerChatCompletions } from './routes/chat-completions.ts';
import { registerCompletions } from './routes/completions.ts';
import { registerGenerate } from './routes/generate.ts';
import { registerHealth } from './routes/health.ts';
import { registerMetrics } from './routes/metrics.ts';
import { registerModels } from './routes/models.ts';
import { registerNotImplemented } from './routes/not-implemented.ts';
import { registerTokenize } from './routes/tokenize.ts';
import type { AppDeps } from './types.ts';

export function createApp(deps: AppDeps): Hono {
  const logger = deps.logger ?? pino({ name: 'plexus-http' });
  const injected = deps.streamText;
  const ctx: AppContext = {
    model: deps.model,
    limits: { ...DEFAULT_LIMITS, ...deps.limits },
    logger,
    metrics: createServingMetrics(deps.model?.name ?? '', deps.model?.engine),
    streamText: injected ? async () => injected : loadCoreStreamText,
    startedAt: unixSeconds(),
  };

  const app = new Hono();
  app.onError((err, c) => {
    const e = toApiError(err);
    if (e.status >= 500) logger.error({ err, path: c.req.path }, 'request failed');
    return c.json(e.toEnvelope(), e.status);
  });
  app.notFound((c) => {
    const e = new ApiError(404, `No route for ${c.req.method} ${c.req.path}.`, 'not_found_error');
    return c.json(e.toEnvelope(), 404);
  });
  if (deps.apiKey) app.use('*', requireApiKey(deps.apiKey));

  registerHealth(app, ctx, deps);
  registerModels(app, ctx);
  registerChatCompletions(app, ctx);
  registerCompletions(app, ctx);
  registerGenerate(app, ctx);
  registerTokenize(app, ctx);
  registerMetrics(app, ctx);
  registerNotImplemented(app);
  return app;
}
