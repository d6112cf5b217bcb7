/**
 * `plexus serve`: builds the runtime, creates the HTTP app and serves it until SIGINT/SIGTERM, then closes
 * gracefully (in-flight requests get a deadline). Later issues add flags (model path, limits…) to
 * SERVE_FLAGS and read them in `serveDeps`.
 */
import type { Plexus } from '@plexus/core';
import { createApp } from '../http/app.ts';
import { startServer, type RunningServer } from '../http/start-server.ts';
import type { AppDeps } from '../http/types.ts';
import type { CliCommand } from './cli-io.ts';
import { parseFlags, parsePort, type FlagSpec } from './parse-flags.ts';
import { buildRuntime, RUNTIME_FLAGS, RUNTIME_USAGE } from './runtime-flags.ts';

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 30000;
/** how long in-flight requests may run after SIGTERM */
const SHUTDOWN_DEADLINE_MS = 10_000;

export const SERVE_FLAGS = {
  ...RUNTIME_FLAGS,
  host: { type: 'string', default: DEFAULT_HOST },
  port: { type: 'string' },
} as const satisfies FlagSpec;

const usage = `plexus serve [--host ${DEFAULT_HOST}] [--port ${DEFAULT_PORT}] ${RUNTIME_USAGE}`;

type ServeFlags = ReturnType<typeof parseServeFlags>;

function parseServeFlags(argv: string[]) {
  return parseFlags(argv, SERVE_FLAGS, usage);
}

/** what the HTTP app gets from the runtime (extend here when serving a model) */
export async function serveDeps(plexus: Plexus, _flags: ServeFlags): Promise<AppDeps> {
  return { pluginReport: () => plexus.pluginReport(), logger: plexus.log };
}

/** starts serving; resolves with the running server (tests) — `run` additionally waits for a signal */
export async function startServe(argv: string[]): Promise<{ plexus: Plexus; server: RunningServer }> {
  const flags = parseServeFlags(argv);
  const port = parsePort(flags.port, DEFAULT_PORT);
  const plexus = await buildRuntime(flags);
  try {
    const app = createApp(await serveDeps(plexus, flags));
    const server = await startServer(app, { host: flags.host, port });
    return { plexus, server };
  } catch (e) {
    plexus.dispose();
    throw e;
  }
}

export const serveCommand: CliCommand = {
  name: 'serve',
  summary: 'start the HTTP server (GET /health, GET /plugins, OpenAI-compatible endpoints)',
  usage,
  async run(argv, io) {
    const { plexus, server } = await startServe(argv);
    const failed = plexus.plugins().filter((p) => p.status === 'failed');
    plexus.log.info({ url: server.url, plugins: plexus.plugins().length, failed: failed.map((p) => p.id) }, `plexus listening on ${server.url}`);
    io.err(`plexus listening on ${server.url}`);
    await new Promise<void>((resolve) => {
      const stop = (signal: NodeJS.Signals) => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        plexus.log.info({ signal }, 'shutting down');
        void server.close(SHUTDOWN_DEADLINE_MS).finally(resolve);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    plexus.dispose();
    return 0;
  },
};
