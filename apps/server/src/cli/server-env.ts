/**
 * The PLEXUS_* variables the server owns: `plexus serve` flags that are natural to set from the
 * environment (containers, service files). A flag wins over its variable. Declared into the runtime's
 * EnvRegistry (so `plexus env` lists them and --strict-env accepts them); README's Configuration lists them.
 */
import { defineEnv, type EnvSnapshot, type EnvVarSpec } from '@plexus/core';
import { tryParseByteSize } from './byte-size.ts';

export const SERVER_ENV_OWNER = 'server';

export const SERVER_ENV: readonly EnvVarSpec[] = [
  {
    name: 'PLEXUS_MODEL_PATH', owner: SERVER_ENV_OWNER, type: 'string', default: undefined,
    doc: 'Model directory for `plexus serve` / `plexus generate` when --model-path is not given; unset = the embedded models/plexus-tiny-qwen3.',
  },
  {
    name: 'PLEXUS_HOST', owner: SERVER_ENV_OWNER, type: 'string', default: '127.0.0.1',
    doc: 'Address `plexus serve` listens on (--host wins).',
  },
  {
    name: 'PLEXUS_PORT', owner: SERVER_ENV_OWNER, type: 'int', default: 30000, min: 0, max: 65535,
    doc: 'TCP port `plexus serve` listens on; 0 = any free port (--port wins).',
  },
  {
    name: 'PLEXUS_API_KEY', owner: SERVER_ENV_OWNER, type: 'string', default: undefined,
    doc: 'When set, clients must send `Authorization: Bearer <key>` (--api-key wins). Keeps the key out of the process list.',
  },
  {
    name: 'PLEXUS_SERVED_MODEL_NAME', owner: SERVER_ENV_OWNER, type: 'string', default: undefined,
    doc: 'Model id clients send and /v1/models shows; unset = the model directory name (--served-model-name wins).',
  },
  defineEnv({
    name: 'PLEXUS_KV_CACHE_MEMORY', owner: SERVER_ENV_OWNER, type: 'string', default: undefined,
    check: (v) => (tryParseByteSize(v) === undefined ? `'${v}' is not a size such as 1073741824, 512MiB or 2GiB` : undefined),
    doc: 'KV cache budget when --max-total-tokens is not given, e.g. 2GiB; unset = 1 GiB (--kv-cache-memory wins).',
  }) as EnvVarSpec,
  {
    name: 'PLEXUS_SHUTDOWN_TIMEOUT', owner: SERVER_ENV_OWNER, type: 'float', default: 10, min: 0,
    doc: 'Seconds in-flight requests get to finish after SIGTERM/SIGINT before they are aborted (--shutdown-timeout wins).',
  },
];

export interface ServerEnvValues {
  modelPath: string | undefined;
  host: string;
  port: number;
  apiKey: string | undefined;
  servedModelName: string | undefined;
  kvCacheMemory: string | undefined;
  shutdownTimeoutSeconds: number;
}

/** the server's variables from a runtime snapshot (parsed once at startup by the EnvRegistry) */
export function readServerEnv(snapshot: EnvSnapshot): ServerEnvValues {
  const get = <V>(name: string, fallback: V): V => (snapshot.has(name) ? ((snapshot.get<V | undefined>({ name }) ?? fallback) as V) : fallback);
  return {
    modelPath: get<string | undefined>('PLEXUS_MODEL_PATH', undefined),
    host: get('PLEXUS_HOST', '127.0.0.1'),
    port: get('PLEXUS_PORT', 30000),
    apiKey: get<string | undefined>('PLEXUS_API_KEY', undefined),
    servedModelName: get<string | undefined>('PLEXUS_SERVED_MODEL_NAME', undefined),
    kvCacheMemory: get<string | undefined>('PLEXUS_KV_CACHE_MEMORY', undefined),
    shutdownTimeoutSeconds: get('PLEXUS_SHUTDOWN_TIMEOUT', 10),
  };
}
