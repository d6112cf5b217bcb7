/** Endpoints OpenAI clients may call that this server does not offer: 501, not a confusing 404. */
import type { Hono } from 'hono';
import { ApiError } from '../errors/api-error.ts';

const PATHS = ['/v1/embeddings', '/v1/responses', '/v1/responses/*', '/v1/audio/*', '/v1/images/*', '/v1/moderations', '/v1/rerank', '/v1/score'];

export function registerNotImplemented(app: Hono): void {
  for (const path of PATHS) {
    app.all(path, (c) => {
      throw new ApiError(501, `${c.req.path} is not implemented by this server.`, 'not_implemented_error');
    });
  }
}
