/** GET /health (503 while the model loads) and GET /plugins (the plugin loader's report). */
import type { Hono } from 'hono';
import type { AppContext } from '../context.ts';
import { serviceUnavailable } from '../errors/api-error.ts';
import type { AppDeps } from '../types.ts';

export function registerHealth(app: Hono, ctx: AppContext, deps: Pick<AppDeps, 'pluginReport'>): void {
  app.get('/health', (c) => {
    if (ctx.model && !ctx.model.ready()) {
      const e = serviceUnavailable('Loading model');
      return c.json(e.toEnvelope(), e.status);
    }
    return c.json({ status: 'ok' });
  });
  app.get('/plugins', (c) => c.json(deps.pluginReport() ?? null));
}
