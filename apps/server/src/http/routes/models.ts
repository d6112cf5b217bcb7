/** GET /v1/models and GET /v1/models/{id}: the served model's card, with max_model_len (clients read it). */
import type { Hono } from 'hono';
import type { AppContext } from '../context.ts';
import { modelNotFound } from '../errors/api-error.ts';
import type { ServedModel } from '../types.ts';

function card(model: ServedModel, ctx: AppContext) {
  return {
    id: model.name,
    object: 'model' as const,
    created: model.createdAt ?? ctx.startedAt,
    owned_by: 'plexus',
    root: model.name,
    parent: null,
    max_model_len: model.maxModelLen,
    vocab_size: model.tokenizer.vocabSize,
  };
}

export function registerModels(app: Hono, ctx: AppContext): void {
  app.get('/v1/models', (c) => c.json({ object: 'list', data: ctx.model ? [card(ctx.model, ctx)] : [] }));
  // ids may contain slashes (org/name)
  app.get('/v1/models/:id{.+}', (c) => {
    const id = c.req.param('id');
    if (!ctx.model || ctx.model.name !== id) throw modelNotFound(id);
    return c.json(card(ctx.model, ctx));
  });
}
