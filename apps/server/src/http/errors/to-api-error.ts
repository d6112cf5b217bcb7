/**
 * Maps anything thrown, or an engine error event `{name, message}`, to an ApiError.
 * Core errors are mapped by their stable `code`; engine events cross the worker boundary as plain
 * `{name, message}`, so class names are translated to codes first.
 */
import { InvalidArgumentError, PlexusError } from '@plexus/core';
import { ApiError } from './api-error.ts';

type Mapper = (message: string, param: string | null) => ApiError;

const BY_CODE: Record<string, Mapper> = {
  invalid_argument: (m, p) => new ApiError(400, m, 'invalid_request_error', p),
  chat_template: (m) =>
    new ApiError(400, `${m} (use POST /v1/completions with a plain prompt instead)`, 'invalid_request_error', 'messages'),
  capacity: (m) => new ApiError(503, `${m} (the server is at capacity; retry later)`, 'unavailable_error'),
  model_not_supported: (m) => new ApiError(501, m, 'not_implemented_error'),
  kernel_unavailable: (m) => new ApiError(501, m, 'not_implemented_error'),
};

/** class name → code, for errors that arrive as `{name, message}` */
const CODE_BY_NAME: Record<string, string> = {
  InvalidArgumentError: 'invalid_argument',
  EnvVarError: 'invalid_argument',
  ChatTemplateError: 'chat_template',
  CapacityError: 'capacity',
  ModelNotSupportedError: 'model_not_supported',
  KernelUnavailableError: 'kernel_unavailable',
};

export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof PlexusError) {
    const param = err instanceof InvalidArgumentError ? (err.param ?? null) : null;
    return fromCode(err.code, err.name, err.message, param);
  }
  if (err instanceof Error) return fromNamed(err.name, err.message);
  return new ApiError(500, `internal error: ${String(err)}`, 'internal_server_error');
}

/** for engine/text-generation error events, which carry only a class name and a message */
export function fromNamed(name: string, message: string, param: string | null = null): ApiError {
  return fromCode(Object.hasOwn(CODE_BY_NAME, name) ? CODE_BY_NAME[name] : undefined, name, message, param);
}

function fromCode(code: string | undefined, name: string, message: string, param: string | null): ApiError {
  const mapper = code !== undefined && Object.hasOwn(BY_CODE, code) ? BY_CODE[code] : undefined;
  if (mapper) return mapper(message, param);
  return new ApiError(500, `${name}: ${message}`, 'internal_server_error');
}
