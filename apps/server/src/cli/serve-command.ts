/**
 * `plexus serve`: loads plugins, checks the model, starts the engine worker (WorkerEngineClient, which
 * builds the model and KV pool in its own thread), loads the tokenizer in the main thread and listens
 * at once — GET /health answers 503 until the worker is ready. SIGTERM/SIGINT: stop accepting, let
 * in-flight requests finish until --shutdown-timeout, abort the rest, exit 0.
 */
import { InvalidArgumentError, type EngineStats, type Plexus } from '@plexus/core';
import { handleShutdownSignals, loadTokenizer, WorkerEngineClient, type EngineWorkerSpec } from '@plexus/core/internal';
import { createApp } from '../http/app.ts';
import { startServer, type RunningServer } from '../http/start-server.ts';
import type { CliCommand } from './cli-io.ts';
import { preflightModel, usableEosIds } from './model-preflight.ts';
import { buildRuntime } from './runtime-flags.ts';
import { parseServeFlags, resolveServeConfig, SERVE_USAGE, type ServeConfig } from './serve/serve-options.ts';
import { WorkerServedModel } from './serve/worker-served-model.ts';
import { readServerEnv, SERVER_ENV_OWNER } from './server-env.ts';

export { DEFAULT_HOST, DEFAULT_PORT, SERVE_FLAGS } from './serve/serve-options.ts';

export interface ServeSession {
  readonly plexus: Plexus;
  readonly config: ServeConfig;
  readonly server: RunningServer;
  readonly engine: WorkerEngineClient;
  readonly model: WorkerServedModel;
  /** resolves once the worker has built the model; rejects with its load error */
  readonly ready: Promise<EngineStats>;
  /** stops the listener and the engine (in-flight requests get deadlineMs), then releases the runtime */
  close(deadlineMs: number): Promise<void>;
}

/** starts serving and returns at once (the model may still be loading); tests drive the session */
export async function startServe(argv: string[]): Promise<ServeSession> {
  const flags = parseServeFlags(argv);
  const plexus = await buildRuntime({ plugin: flags.plugin, 'strict-env': flags.strictEnv });
  const log = plexus.log;
  let engine: WorkerEngineClient | undefined;
  try {
    logPlugins(plexus);
    const config = resolveServeConfig(flags, readServerEnv(plexus.envSnapshot()));
    const preflight = await preflightModel(plexus, config.modelPath);
    // parser names are checked before the worker starts, so a typo fails at once with the registered names
    const reasoningParser = config.reasoningParser ? plexus.text.get('reasoningParser', config.reasoningParser) : undefined;
    const toolParser = config.toolCallParser ? plexus.text.get('toolCallParser', config.toolCallParser) : undefined;
    log.info({ modelPath: config.modelPath, architecture: preflight.architecture, servedModelName: config.servedModelName }, 'starting the engine worker');
    const spec: EngineWorkerSpec = {
      modelPath: config.modelPath,
      pluginPaths: flags.plugin,
      engine: { ...config.engine, eosTokenIds: usableEosIds(preflight) },
      runtime: { env: forwardedEnv(plexus), strictEnv: flags.strictEnv, cwd: process.cwd() },
    };
    const worker = new WorkerEngineClient(spec);
    engine = worker;
    // the tokenizer loads here while the worker loads the weights
    const tokenizer = await loadTokenizer(config.modelPath);
    log.info({ vocabSize: tokenizer.vocabSize, chatTemplate: tokenizer.hasChatTemplate }, 'tokenizer loaded');
    const provisionalMaxLen = config.engine.contextLength ?? preflight.maxPositions ?? 0;
    const chatEncoder = tokenizer.hasChatTemplate ? undefined : plexus.text.defaultChatEncoder(preflight.architecture);
    const model = new WorkerServedModel(config.servedModelName, tokenizer, worker, preflight.generation, provisionalMaxLen, {
      ...(chatEncoder ? { chatEncoder } : {}),
      ...(reasoningParser ? { reasoningParser } : {}),
      ...(toolParser ? { toolParser } : {}),
    });
    const app = createApp({
      pluginReport: () => plexus.pluginReport(),
      model,
      logger: log,
      ...(config.apiKey ? { apiKey: config.apiKey } : {}),
    });
    const server = await startServer(app, { host: config.host, port: config.port });
    log.info({ url: server.url }, 'listening; /health answers 503 until the model is loaded');
    const ready = worker.ready.then((stats) => {
      log.info({ contextLength: stats.contextLength, kvPoolTokens: stats.maxTotalTokens }, 'model loaded; serving');
      return stats;
    });
    ready.catch(() => undefined);
    let closing: Promise<void> | undefined;
    return {
      plexus, config, server, engine: worker, model, ready,
      close: (deadlineMs) => (closing ??= Promise.all([server.close(deadlineMs), worker.shutdown({ deadlineMs })]).then(() => plexus.dispose())),
    };
  } catch (e) {
    await engine?.shutdown({ deadlineMs: 0 });
    plexus.dispose();
    throw e;
  }
}

export const serveCommand: CliCommand = {
  name: 'serve',
  summary: 'serve a model over HTTP (OpenAI-compatible; the embedded model when no --model-path)',
  usage: SERVE_USAGE,
  async run(argv, io) {
    const session = await startServe(argv);
    const { plexus, server, config } = session;
    let exitCalls = 0;
    let finish!: (code: number) => void;
    const exited = new Promise<number>((resolve) => (finish = resolve));
    const removeSignals = handleShutdownSignals(session.engine, {
      deadlineMs: config.shutdownDeadlineMs,
      stopAccepting: () => server.close(config.shutdownDeadlineMs),
      logger: plexus.log,
      // a second signal means "now": the handler calls exit(1) again
      exit: (code) => (exitCalls++ === 0 ? finish(code) : process.exit(code)),
    });
    type Loading = { state: 'ready' } | { state: 'failed'; error: Error } | { state: 'stopping' };
    const loading = await Promise.race<Loading>([
      session.ready.then(() => ({ state: 'ready' }), (error: Error) => ({ state: 'failed', error })),
      exited.then(() => ({ state: 'stopping' })),
    ]);
    if (loading.state === 'failed') {
      removeSignals();
      // a flag the engine refused (e.g. --context-length above the model's) is bad input, like a parse error
      const badInput = loading.error instanceof InvalidArgumentError;
      plexus.log.error({ err: loading.error }, 'the engine worker could not load the model');
      io.err(badInput ? `plexus serve: ${loading.error.message}` : `plexus serve: ${loading.error.name}: ${loading.error.message}`);
      await session.close(0);
      return badInput ? 2 : 1;
    }
    if (loading.state === 'ready') io.err(`plexus listening on ${server.url}`);
    const code = await exited;
    removeSignals();
    await session.close(0);
    return code;
  },
};

function logPlugins(plexus: Plexus): void {
  const by = (status: string) => plexus.plugins().filter((p) => p.status === status).map((p) => p.id);
  plexus.log.info({ loaded: by('loaded'), disabled: by('disabled'), failed: by('failed') }, 'plugins loaded');
}

/**
 * The PLEXUS_* values the main runtime read, for the worker's own runtime: it sees the same settings,
 * and nothing it would warn about twice (undeclared names were reported here; the server's own are not its business).
 */
function forwardedEnv(plexus: Plexus): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of plexus.envSnapshot().entries()) {
    if (entry.raw !== undefined && entry.spec.owner !== SERVER_ENV_OWNER) env[entry.spec.name] = entry.raw;
  }
  return env;
}
