/** `plexus serve` configuration: flag > PLEXUS_* variable > default; bad flags are InvalidArgumentErrors (exit 2). */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createPlexus, InvalidArgumentError, silentLogger } from '@plexus/core';
import { parseByteSize, tryParseByteSize } from '../../src/cli/byte-size.ts';
import { EMBEDDED_MODEL_DIR } from '../../src/cli/model-path.ts';
import { parseServeFlags, resolveServeConfig } from '../../src/cli/serve/serve-options.ts';
import { readServerEnv, SERVER_ENV } from '../../src/cli/server-env.ts';

async function serverEnv(env: Record<string, string>) {
  const plexus = await createPlexus({ env, envDeclarations: SERVER_ENV, bundledPluginsDir: null, logger: silentLogger() });
  try {
    return { values: readServerEnv(plexus.envSnapshot()), entries: plexus.envSnapshot().entries() };
  } finally {
    plexus.dispose();
  }
}

describe('byte sizes', () => {
  it('reads plain bytes, binary and decimal units', () => {
    expect(tryParseByteSize('1073741824')).toBe(2 ** 30);
    expect(tryParseByteSize('2GiB')).toBe(2 * 2 ** 30);
    expect(tryParseByteSize('512 MiB')).toBe(512 * 2 ** 20);
    expect(tryParseByteSize('1.5GB')).toBe(1.5e9);
    expect(tryParseByteSize('1e9')).toBe(1e9);
    expect(tryParseByteSize('64k')).toBe(64_000);
  });

  it('refuses what is not a positive size, naming the flag', () => {
    for (const bad of ['', 'lots', '0', '-1', '2XB', 'GiB', '0.1']) expect(tryParseByteSize(bad)).toBeUndefined();
    expect(() => parseByteSize('kv-cache-memory', '2 gigs')).toThrow(InvalidArgumentError);
    expect(() => parseByteSize('kv-cache-memory', '2 gigs')).toThrow(/--kv-cache-memory must be a positive size.*got '2 gigs'/);
  });
});

describe('serve flags and variables', () => {
  it('defaults: the embedded model (resolved from the repo), its directory name, 127.0.0.1:30000, 10 s shutdown', async () => {
    const config = resolveServeConfig(parseServeFlags([]), (await serverEnv({})).values);
    expect(config.modelPath).toBe(EMBEDDED_MODEL_DIR);
    expect(path.basename(EMBEDDED_MODEL_DIR)).toBe('plexus-tiny-qwen3');
    expect(config).toMatchObject({ host: '127.0.0.1', port: 30000, apiKey: undefined, servedModelName: 'plexus-tiny-qwen3', shutdownDeadlineMs: 10_000, engine: {} });
  });

  it('variables fill in, flags win over them', async () => {
    const { values } = await serverEnv({
      PLEXUS_MODEL_PATH: 'some/dir', PLEXUS_HOST: '0.0.0.0', PLEXUS_PORT: '8080', PLEXUS_API_KEY: 'k1',
      PLEXUS_SERVED_MODEL_NAME: 'from-env', PLEXUS_KV_CACHE_MEMORY: '256MiB', PLEXUS_SHUTDOWN_TIMEOUT: '2.5',
    });
    const fromEnv = resolveServeConfig(parseServeFlags([]), values);
    expect(fromEnv).toMatchObject({
      modelPath: path.resolve('some/dir'), host: '0.0.0.0', port: 8080, apiKey: 'k1', servedModelName: 'from-env',
      engine: { kvCacheMemoryBytes: 256 * 2 ** 20 }, shutdownDeadlineMs: 2500,
    });
    const fromFlags = resolveServeConfig(parseServeFlags([
      '--model-path', '/models/x', '--host', '::1', '--port', '0', '--api-key', 'k2', '--kv-cache-memory', '1GiB', '--shutdown-timeout', '0',
    ]), values);
    expect(fromFlags).toMatchObject({
      modelPath: '/models/x', host: '::1', port: 0, apiKey: 'k2', servedModelName: 'from-env',
      engine: { kvCacheMemoryBytes: 2 ** 30 }, shutdownDeadlineMs: 0,
    });
    expect(resolveServeConfig(parseServeFlags(['--model-path', '/models/x']), (await serverEnv({})).values).servedModelName).toBe('x');
  });

  it('engine flags map to EngineOptions', () => {
    const flags = parseServeFlags([
      '--chunked-prefill-size', '-1', '--max-running-requests', '8', '--max-total-tokens', '4096',
      '--context-length', '2048', '--max-queued-requests', '100', '--disable-radix-cache',
    ]);
    expect(flags.engine).toEqual({ chunkedPrefillSize: -1, maxRunningRequests: 8, maxTotalTokens: 4096, contextLength: 2048, maxQueuedRequests: 100, disableRadixCache: true });
  });

  it('parser flags name TextProcessingRegistry entries and reach the config', async () => {
    const config = resolveServeConfig(parseServeFlags(['--reasoning-parser', 'deepseek_v4', '--tool-call-parser', 'deepseek_v4']), (await serverEnv({})).values);
    expect(config.reasoningParser).toBe('deepseek_v4');
    expect(config.toolCallParser).toBe('deepseek_v4');
    expect(() => parseServeFlags(['--tool-call-parser', ' '])).toThrow(InvalidArgumentError);
  });

  it('bad flags are InvalidArgumentErrors that say what is expected', () => {
    const cases: Array<[string[], RegExp]> = [
      [['--max-running-requests', '0'], /--max-running-requests must be an integer ≥ 1, got '0'/],
      [['--context-length', '1.5'], /--context-length must be an integer/],
      [['--chunked-prefill-size', '-2'], /--chunked-prefill-size must be an integer ≥ -1/],
      [['--port', '70000'], /--port must be an integer from 0 to 65535/],
      [['--shutdown-timeout', 'soon'], /--shutdown-timeout must be a number ≥ 0/],
      [['--kv-cache-memory', 'big'], /--kv-cache-memory must be a positive size/],
      [['--model-path', ' '], /--model-path must not be empty/],
      [['--max-batch', '3'], /Unknown option '--max-batch'/],
    ];
    for (const [argv, message] of cases) {
      expect(() => parseServeFlags(argv), argv.join(' ')).toThrow(InvalidArgumentError);
      expect(() => parseServeFlags(argv), argv.join(' ')).toThrow(message);
    }
  });

  it('declares every server variable with owner "server"; an invalid value warns and keeps the default', async () => {
    const { values, entries } = await serverEnv({ PLEXUS_PORT: 'http', PLEXUS_KV_CACHE_MEMORY: 'huge' });
    expect(values.port).toBe(30000);
    expect(values.kvCacheMemory).toBeUndefined();
    const names = entries.filter((e) => e.spec.owner === 'server').map((e) => e.spec.name);
    expect(names).toEqual(SERVER_ENV.map((s) => s.name).sort());
    expect(entries.find((e) => e.spec.name === 'PLEXUS_KV_CACHE_MEMORY')?.problem).toMatch(/'huge' is not a size/);
  });
});

describe("README's Configuration section", () => {
  it('lists every variable the core and the server declare', async () => {
    const readme = readFileSync(fileURLToPath(new URL('../../../../README.md', import.meta.url)), 'utf8');
    const section = /^## Configuration$([\s\S]*?)^## /m.exec(readme)?.[1] ?? '';
    const { entries } = await serverEnv({});
    const names = entries.filter((e) => e.spec.owner === 'core' || e.spec.owner === 'server').map((e) => e.spec.name);
    expect(names.length).toBeGreaterThan(SERVER_ENV.length);
    expect(names.filter((n) => !section.includes(`\`${n}\``))).toEqual([]);
  });
});
