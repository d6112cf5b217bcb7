/** A mid-stream failure as OpenAI clients parse it: `data: {"error": {...}}` (followed by [DONE] by the caller). */
import { toApiError } from '../errors/to-api-error.ts';

export const streamErrorFrame = (err: unknown): string => JSON.stringify(toApiError(err).toEnvelope());
