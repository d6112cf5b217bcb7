/**
 * `plexus serve` flags (SGLang names) → a validated ServeConfig. Flags are checked before anything is
 * loaded (bad input exits 2 at once); the server's PLEXUS_* variables fill what the flags leave out.
 */
import { InvalidArgumentError } from '@plexus/core';
import type { EngineOptions } from '@plexus/core/internal';
import { parseByteSize } from '../byte-size.ts';
import { defaultServedModelName, resolveModelPath } from '../model-path.ts';
import { parseFlags, parseIntFlag, parseNumberFlag, parseOptionalInt, parsePort, type FlagSpec } from '../parse-flags.ts';
import { RUNTIME_FLAGS, RUNTIME_USAGE } from '../runtime-flags.ts';
import type { ServerEnvValues } from '../server-env.ts';

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 30000;
export const DEFAULT_SHUTDOWN_TIMEOUT_S = 10;

export const SERVE_FLAGS = {
  ...RUNTIME_FLAGS,
  'model-path': { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string' },
  'api-key': { type: 'string' },
  'served-model-name': { type: 'string' },
  'chunked-prefill-size': { type: 'string' },
  'max-running-requests': { type: 'string' },
  'max-total-tokens': { type: 'string' },
  'context-length': { type: 'string' },
  'max-queued-requests': { type: 'string' },
  'disable-radix-cache': { type: 'boolean', default: false },
  'kv-cache-memory': { type: 'string' },
  'shutdown-timeout': { type: 'string' },
  'reasoning-parser': { type: 'string' },
  'tool-call-parser': { type: 'string' },
} as const satisfies FlagSpec;

export const SERVE_USAGE = [
  `plexus serve [--model-path DIR] [--host ${DEFAULT_HOST}] [--port ${DEFAULT_PORT}] [--api-key KEY] [--served-model-name NAME]`,
  '  [--chunked-prefill-size N] [--max-running-requests N] [--max-total-tokens N] [--context-length N]',
  '  [--max-queued-requests N] [--disable-radix-cache] [--kv-cache-memory BYTES|512MiB|2GiB]',
  `  [--shutdown-timeout SECONDS (default ${DEFAULT_SHUTDOWN_TIMEOUT_S})] [--reasoning-parser NAME] [--tool-call-parser NAME]`,
  `  ${RUNTIME_USAGE}`,
  '  without --model-path (or PLEXUS_MODEL_PATH) it serves the embedded models/plexus-tiny-qwen3',
].join('\n');

/** flag values, validated; undefined where the flag was not given */
export interface ServeFlagValues {
  plugin: string[];
  strictEnv: boolean;
  modelPath?: string;
  host?: string;
  port?: number;
  apiKey?: string;
  servedModelName?: string;
  kvCacheMemoryBytes?: number;
  shutdownTimeoutSeconds?: number;
  /** names in the TextProcessingRegistry (e.g. deepseek_v4) */
  reasoningParser?: string;
  toolCallParser?: string;
  engine: EngineOptions;
}

export interface ServeConfig {
  modelPath: string;
  host: string;
  port: number;
  apiKey: string | undefined;
  servedModelName: string;
  engine: EngineOptions;
  shutdownDeadlineMs: number;
  reasoningParser: string | undefined;
  toolCallParser: string | undefined;
}

export function parseServeFlags(argv: string[]): ServeFlagValues {
  const f = parseFlags(argv, SERVE_FLAGS, SERVE_USAGE);
  const engine: EngineOptions = {};
  const set = <K extends keyof EngineOptions>(key: K, value: EngineOptions[K] | undefined) => {
    if (value !== undefined) engine[key] = value;
  };
  const optionalPositive = (name: string, text: string | undefined) => (text === undefined ? undefined : parseIntFlag(name, text, 0));
  set('chunkedPrefillSize', parseOptionalInt('chunked-prefill-size', f['chunked-prefill-size'], -1));
  set('maxRunningRequests', optionalPositive('max-running-requests', f['max-running-requests']));
  set('maxTotalTokens', optionalPositive('max-total-tokens', f['max-total-tokens']));
  set('contextLength', optionalPositive('context-length', f['context-length']));
  set('maxQueuedRequests', optionalPositive('max-queued-requests', f['max-queued-requests']));
  if (f['disable-radix-cache']) engine.disableRadixCache = true;
  const values: ServeFlagValues = { plugin: f.plugin ?? [], strictEnv: f['strict-env'] ?? false, engine };
  if (f['model-path'] !== undefined) values.modelPath = nonEmpty('model-path', f['model-path']);
  if (f.host !== undefined) values.host = nonEmpty('host', f.host);
  if (f.port !== undefined) values.port = parsePort(f.port, DEFAULT_PORT);
  if (f['api-key'] !== undefined) values.apiKey = nonEmpty('api-key', f['api-key']);
  if (f['served-model-name'] !== undefined) values.servedModelName = nonEmpty('served-model-name', f['served-model-name']);
  if (f['kv-cache-memory'] !== undefined) values.kvCacheMemoryBytes = parseByteSize('kv-cache-memory', f['kv-cache-memory']);
  if (f['reasoning-parser'] !== undefined) values.reasoningParser = nonEmpty('reasoning-parser', f['reasoning-parser']);
  if (f['tool-call-parser'] !== undefined) values.toolCallParser = nonEmpty('tool-call-parser', f['tool-call-parser']);
  const timeout = parseNumberFlag('shutdown-timeout', f['shutdown-timeout'], { min: 0 });
  if (timeout !== undefined) values.shutdownTimeoutSeconds = timeout;
  return values;
}

/** flags win; the server's PLEXUS_* variables fill the rest (they were validated when the runtime parsed them) */
export function resolveServeConfig(flags: ServeFlagValues, env: ServerEnvValues): ServeConfig {
  const modelPath = resolveModelPath(flags.modelPath, env.modelPath);
  const engine: EngineOptions = { ...flags.engine };
  const kvBytes = flags.kvCacheMemoryBytes ?? (env.kvCacheMemory !== undefined ? parseByteSize('kv-cache-memory', env.kvCacheMemory) : undefined);
  if (kvBytes !== undefined) engine.kvCacheMemoryBytes = kvBytes;
  return {
    modelPath,
    host: flags.host ?? env.host,
    port: flags.port ?? env.port,
    apiKey: flags.apiKey ?? env.apiKey,
    servedModelName: flags.servedModelName ?? env.servedModelName ?? defaultServedModelName(modelPath),
    engine,
    shutdownDeadlineMs: Math.round((flags.shutdownTimeoutSeconds ?? env.shutdownTimeoutSeconds) * 1000),
    reasoningParser: flags.reasoningParser,
    toolCallParser: flags.toolCallParser,
  };
}

function nonEmpty(flag: string, value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError(`--${flag} must not be empty`, flag);
  return value;
}
