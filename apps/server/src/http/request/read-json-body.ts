/**
 * Reads a request body as JSON with a byte limit, strict UTF-8 and no lone surrogates,
 * so nothing malformed ever reaches the tokenizer. Every failure is a 400 (or 413) ApiError.
 */
import { ApiError, badRequest } from '../errors/api-error.ts';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export async function readJsonBody(req: Request, maxBytes: number): Promise<unknown> {
  const bytes = await readLimited(req, maxBytes);
  if (bytes.byteLength === 0) throw badRequest('The request body is empty; send a JSON object.');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw badRequest('The request body is not valid UTF-8.');
  }
  let value: unknown;
  try {
    value = JSON.parse(text, rejectLoneSurrogates);
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw badRequest(`The request body is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw badRequest('The request body must be a JSON object.');
  }
  return value;
}

function rejectLoneSurrogates(key: string, value: unknown): unknown {
  if ((typeof value === 'string' && LONE_SURROGATE.test(value)) || LONE_SURROGATE.test(key)) {
    throw badRequest(`The request contains a string with an unpaired UTF-16 surrogate (near key "${safeKey(key)}"); send valid Unicode.`);
  }
  return value;
}

const safeKey = (key: string): string => key.replace(LONE_SURROGATE, '\uFFFD').slice(0, 64);

async function readLimited(req: Request, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(req.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(maxBytes);
  if (!req.body) return new Uint8Array(0);
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}

const tooLarge = (maxBytes: number): ApiError =>
  new ApiError(413, `The request body exceeds the limit of ${maxBytes} bytes; send a smaller request.`, 'request_too_large');
