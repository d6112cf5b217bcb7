/**
 * An error the HTTP layer answers with the OpenAI envelope `{"error": {message, type, param, code}}`.
 * `code` is the HTTP status as an integer (what vLLM sends); `type` names the class of failure.
 */
export type ApiErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'not_found_error'
  | 'request_too_large'
  | 'rate_limit_error'
  | 'unavailable_error'
  | 'not_implemented_error'
  | 'internal_server_error';

export type ApiErrorStatus = 400 | 401 | 404 | 413 | 429 | 500 | 501 | 503;

export interface ErrorEnvelope {
  error: { message: string; type: ApiErrorType; param: string | null; code: number };
}

export class ApiError extends Error {
  constructor(
    readonly status: ApiErrorStatus,
    message: string,
    readonly type: ApiErrorType,
    readonly param: string | null = null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ApiError';
  }

  toEnvelope(): ErrorEnvelope {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.status } };
  }
}

export const badRequest = (message: string, param: string | null = null): ApiError =>
  new ApiError(400, message, 'invalid_request_error', param);

export const modelNotFound = (model: string): ApiError =>
  new ApiError(404, `The model \`${model}\` does not exist. GET /v1/models lists the served model.`, 'not_found_error', 'model');

export const unsupportedField = (param: string, why: string): ApiError =>
  badRequest(`\`${param}\` is not supported by this server: ${why}. Remove the field from the request.`, param);

export const serviceUnavailable = (message: string): ApiError => new ApiError(503, message, 'unavailable_error');
