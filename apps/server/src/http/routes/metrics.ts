/** GET /metrics: Prometheus text exposition of this app's registry. */
import type { Hono } from 'hono';
import type { AppContext } from '../context.ts';

export function registerMetrics(app: Hono, ctx: AppContext): void {
  app.get('/metrics', async (c) => {
    const text = await ctx.metrics.render();
    return c.body(text, 200, { 'content-type': ctx.metrics.registry.contentType });
  });
}
