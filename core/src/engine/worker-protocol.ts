/** Messages between the main thread (WorkerEngineClient) and the engine worker (engine-worker.ts). */
import { InvalidArgumentError } from '../errors.ts';
import type { EngineOptions } from './engine-options.ts';
import type { EngineEvent, EngineStats, GenerateRequest } from './types.ts';

/** Everything the worker needs to build its model and engine; must survive structured clone. */
export interface EngineWorkerSpec {
  modelPath: string;
  pluginPaths?: string[];
  engine: EngineOptions;
  /**
   * Optional extension: module (path or file URL) exporting `loadModel(spec): Promise<CausalLM>`;
   * overrides the default loader (model-loader.ts). Tests point it at a fake model.
   */
  loaderModule?: string;
  /** Optional extension: how the default loader builds the worker's own Plexus runtime (runtime-model-loader.ts). */
  runtime?: WorkerRuntimeSpec;
}

/** Serialisable createPlexus options for the engine worker; `pluginPaths` above are its --plugin values. */
export interface WorkerRuntimeSpec {
  /** the environment to snapshot (default: the worker's copy of process.env) */
  env?: Record<string, string>;
  strictEnv?: boolean;
  /** base for relative plugin paths (default: the worker's cwd) */
  cwd?: string;
  /** coordinator names for the engine's scope */
  coordinators?: string[];
}

export interface SerializedError {
  name: string;
  message: string;
  code?: string;
  stack?: string;
}

export type ToWorker =
  | { type: 'submit'; req: GenerateRequest }
  | { type: 'abort'; requestId: string }
  | { type: 'shutdown'; deadlineMs?: number };

export type FromWorker =
  | { type: 'ready'; stats: EngineStats }
  | { type: 'load-error'; error: SerializedError }
  | { type: 'events'; events: EngineEvent[]; stats: EngineStats }
  | { type: 'shutdown-done' };

export function serializeError(err: unknown): SerializedError {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { name: err.name, message: err.message, ...(typeof code === 'string' ? { code } : {}), ...(err.stack ? { stack: err.stack } : {}) };
  }
  return { name: 'Error', message: String(err) };
}

/** rebuilds an Error that keeps the worker-side name, code and stack; bad input stays an InvalidArgumentError */
export function deserializeError(e: SerializedError): Error {
  const err = e.code === 'invalid_argument' ? new InvalidArgumentError(e.message) : new Error(e.message);
  err.name = e.name;
  if (e.code) Object.assign(err, { code: e.code });
  if (e.stack) err.stack = e.stack;
  return err;
}
