/** `--api-key`: every route except /health and /metrics needs `Authorization: Bearer <key>` (401 otherwise). */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { ApiError } from '../errors/api-error.ts';

const OPEN_PATHS = new Set(['/health', '/metrics']);

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

export function requireApiKey(apiKey: string): MiddlewareHandler {
  const expected = digest(apiKey);
  return async (c, next) => {
    if (OPEN_PATHS.has(c.req.path)) return next();
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header.trim());
    // compare digests: constant time regardless of the key's length
    if (!match || !timingSafeEqual(digest(match[1]), expected)) {
      throw new ApiError(401, 'Invalid or missing API key: send `Authorization: Bearer <key>`.', 'authentication_error');
    }
    return next();
  };
}
