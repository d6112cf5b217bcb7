/**
 * The Plexus runtime: builds the env snapshot, the registries and the DI container, registers the native
 * kernel rows, loads the plugins and hands out engine scopes. The server, the CLI and tests all start here.
 *
 *   const plexus = await createPlexus({ plugins: ['./my-plugin'] });
 *   plexus.pluginReport();                       // loaded | disabled | failed per plugin
 *   const model = await plexus.loadModel(checkpoint);
 *   const scope = plexus.createEngineScope({ coordinators: ['hisparse'] });
 */
import { createDefaultKvPool } from '../engine/kv-pool.ts';
import type { CausalLM, Checkpoint, KvPool, KvPoolRequest } from '../model/types.ts';
import { createContainer, provideValue, type DependencyContainer } from './di/container.ts';
import { Tokens } from './di/tokens.ts';
import { EngineScope, type EngineScopeOptions } from './engine-scope.ts';
import { declareCoreEnv, kernelOverridesFrom } from './env/core-env.ts';
import { EnvRegistry, type RawEnv } from './env/env-registry.ts';
import type { EnvSnapshot } from './env/env-snapshot.ts';
import type { EnvVarSpec } from './env/env-spec.ts';
import { createLogger, type Logger, type LogLevel } from './log.ts';
import { loadNativeBridge, type NativeBridge } from './native-bridge.ts';
import { PluginLoader, type UnresolvedPlugin } from './plugins/plugin-loader.ts';
import { providerLookupFrom, reportToJson, type PluginRecord, type PluginReportJson } from './plugins/plugin-report.ts';
import { defaultBundledPluginsDir, discoverBundledPlugins, resolvePluginRequest, type PluginCandidate, type PluginOrigin } from './plugins/plugin-source.ts';
import { CoordinatorRegistry } from './registries/coordinator-registry.ts';
import { KernelRegistry, type Capabilities } from './registries/kernel-registry.ts';
import { KvPoolRegistry } from './registries/kv-pool-registry.ts';
import { HookTable } from './registries/lifecycle-hooks.ts';
import { ModelRegistry } from './registries/model-registry.ts';
import { QuantMethodRegistry } from './registries/quant-method-registry.ts';
import { registerCoreQuant } from '../quant/index.ts';
import { TEXT_PROVIDES_KIND, TextProcessingRegistry } from '../text/text-processing-registry.ts';
import { CORE_API_VERSION } from './version.ts';
import { PlexusError } from '../errors.ts';

export interface PlexusOptions {
  /** the environment to snapshot (default process.env) */
  env?: RawEnv;
  /** raw PLEXUS_* values from CLI flags; they win over `env` */
  envOverrides?: RawEnv;
  /** --plugin values: package names or paths */
  plugins?: readonly string[];
  /** folder of bundled plugins; null = none; default: the workspace's plugins/ */
  bundledPluginsDir?: string | null;
  /** --strict-env: an undeclared PLEXUS_* variable is an error */
  strictEnv?: boolean;
  /** variables the host application owns (the server's PLEXUS_PORT…), declared with the core's before plugins load */
  envDeclarations?: readonly EnvVarSpec[];
  /** default: pino to stderr at PLEXUS_LOG_LEVEL */
  logger?: Logger;
  /** fields added to every line of the default logger (the engine worker tags its lines `thread: 'engine'`) */
  logBindings?: Readonly<Record<string, unknown>>;
  /** default: from the native addon (tests pass their own) */
  capabilities?: Capabilities;
  /** register the native addon's kernel rows (default true) */
  nativeKernels?: boolean;
  /** the pool used when no plugin pool matches (default: the engine's paged pool) */
  defaultKvPool?: (request: KvPoolRequest) => KvPool;
  /** base for relative plugin paths (default process.cwd()) */
  cwd?: string;
  /** how plugin entry modules are imported (tests observe it) */
  importModule?: (url: string) => Promise<unknown>;
}

export interface Plexus {
  readonly container: DependencyContainer;
  readonly env: EnvRegistry;
  readonly log: Logger;
  readonly capabilities: Capabilities;
  readonly models: ModelRegistry;
  readonly quantMethods: QuantMethodRegistry;
  readonly kvPools: KvPoolRegistry;
  readonly coordinators: CoordinatorRegistry;
  readonly kernels: KernelRegistry;
  /** chat encoders, reasoning and tool-call parsers (--reasoning-parser, --tool-call-parser) */
  readonly text: TextProcessingRegistry;
  /** plugin-level lifecycle handlers (every engine scope runs them) */
  readonly pluginHooks: HookTable;
  /** why native kernels are not registered, when they are not */
  readonly nativeError?: Error;
  /** the startup env snapshot (or the active override scope's) */
  envSnapshot(): EnvSnapshot;
  plugins(): readonly PluginRecord[];
  /** JSON-ready plugin report (GET /plugins, `plexus plugins --json`) */
  pluginReport(): PluginReportJson;
  /** builds the model of a checkpoint through the ModelRegistry (throws ModelNotSupportedError with the cause) */
  loadModel(checkpoint: Checkpoint): Promise<CausalLM>;
  /** a KV pool for a model through the KvPoolRegistry (consulted for every model) */
  createKvPool(request: KvPoolRequest, engineConfig?: Readonly<Record<string, unknown>>): KvPool;
  createEngineScope(opts?: EngineScopeOptions): EngineScope;
  /** unregisters every plugin's registrations */
  dispose(): void;
}

export async function createPlexus(opts: PlexusOptions = {}): Promise<Plexus> {
  // env first: the log level and every toggle come from it; warnings wait for the logger
  const pendingWarnings: Array<{ message: string; variable: string }> = [];
  let logger: Logger | undefined = opts.logger;
  const env = new EnvRegistry({
    ...(opts.env ? { source: opts.env } : {}),
    ...(opts.envOverrides ? { overrides: opts.envOverrides } : {}),
    warn: (message, variable) => (logger ? logger.warn({ variable }, message) : pendingWarnings.push({ message, variable })),
  });
  declareCoreEnv(env);
  for (const spec of opts.envDeclarations ?? []) env.declare(spec);
  const snapshot = env.snapshot();
  if (!logger) {
    const base = createLogger({ level: snapshot.get('PLEXUS_LOG_LEVEL') as LogLevel });
    logger = opts.logBindings ? base.child(opts.logBindings) : base;
  }
  const log: Logger = logger;
  for (const w of pendingWarnings) log.warn({ variable: w.variable }, w.message);

  const native: NativeBridge = opts.nativeKernels === false && opts.capabilities
    ? { capabilities: opts.capabilities, rows: [] }
    : loadNativeBridge();
  if (native.error && opts.nativeKernels !== false) log.warn({ error: native.error.message }, 'native kernels unavailable (ops fall back to plugin rows only; see `plexus kernels`)');
  const threads = snapshot.get('PLEXUS_NUM_THREADS');
  if (threads > 0 && native.setNumThreads) native.setNumThreads(threads);
  const capabilities = opts.capabilities ?? native.capabilities;

  const kernels = new KernelRegistry({
    capabilities,
    overrides: kernelOverridesFrom(snapshot.get('PLEXUS_KERNEL_OVERRIDES')),
    forcePortable: snapshot.get('PLEXUS_FORCE_PORTABLE_KERNELS'),
  });
  if (opts.nativeKernels !== false) for (const { op, row } of native.rows) kernels.register(op, row, 'native');

  let loader: PluginLoader | undefined;
  const providers = providerLookupFrom(() => loader?.records() ?? []);
  const models = new ModelRegistry({ disabledArchitectures: snapshot.get('PLEXUS_DISABLED_MODEL_ARCHS'), providers });
  const quantMethods = new QuantMethodRegistry();
  // standard quant methods are core, not a plugin: fp8-block and its kernel rows exist before any model loads
  registerCoreQuant({ quant: quantMethods, kernels });
  const kvPools = new KvPoolRegistry(opts.defaultKvPool ?? createDefaultKvPool);
  const coordinators = new CoordinatorRegistry(providers);
  const pluginHooks = new HookTable();
  const text = new TextProcessingRegistry((kind, name) => providers(TEXT_PROVIDES_KIND[kind], name));
  loader = new PluginLoader({
    registries: { models, quantMethods, kvPools, coordinators, kernels, env, text, hooks: pluginHooks },
    log,
    disabledPlugins: snapshot.get('PLEXUS_DISABLED_PLUGINS'),
    disabledArchitectures: snapshot.get('PLEXUS_DISABLED_MODEL_ARCHS'),
    ...(opts.importModule ? { importModule: opts.importModule } : {}),
  });

  const cwd = opts.cwd ?? process.cwd();
  const bundledDir = opts.bundledPluginsDir === undefined ? defaultBundledPluginsDir() : opts.bundledPluginsDir ?? undefined;
  const inputs: Array<PluginCandidate | UnresolvedPlugin> = [
    ...(bundledDir ? discoverBundledPlugins(bundledDir) : []),
    ...resolveRequests(opts.plugins ?? [], 'cli', cwd),
    ...resolveRequests(snapshot.get('PLEXUS_PLUGINS'), 'env', cwd),
  ];
  await loader.loadAll(inputs);

  // plugins have declared their variables: now an unknown PLEXUS_* really is unknown
  env.validateUnknown({ strict: opts.strictEnv ?? false });
  const unknownRows = kernels.unknownOverrideKeys();
  if (unknownRows.length) log.warn({ rows: unknownRows }, `PLEXUS_KERNEL_OVERRIDES names rows nobody registered: ${unknownRows.join(', ')} (see \`plexus kernels\`)`);

  const container = createContainer();
  provideValue(container, Tokens.Env, env);
  provideValue(container, Tokens.Logger, log);
  provideValue(container, Tokens.Capabilities, capabilities);
  provideValue(container, Tokens.Models, models);
  provideValue(container, Tokens.QuantMethods, quantMethods);
  provideValue(container, Tokens.KvPools, kvPools);
  provideValue(container, Tokens.Coordinators, coordinators);
  provideValue(container, Tokens.Kernels, kernels);
  provideValue(container, Tokens.PluginHooks, pluginHooks);
  provideValue(container, Tokens.Text, text);
  provideValue(container, Tokens.PluginLoader, loader);

  const pluginLoader = loader;
  return {
    container, env, log, capabilities, models, quantMethods, kvPools, coordinators, kernels, text, pluginHooks,
    ...(native.error && opts.nativeKernels !== false ? { nativeError: native.error } : {}),
    envSnapshot: () => env.snapshot(),
    plugins: () => pluginLoader.records(),
    pluginReport: () => reportToJson(pluginLoader.records(), CORE_API_VERSION),
    async loadModel(checkpoint) {
      const provider = models.get(checkpoint.architecture);
      return provider.load(checkpoint, { ops: kernels.bindOps(), kernels, quant: quantMethods, env: env.snapshot(), log: log.child({ model: checkpoint.architecture }), providers });
    },
    createKvPool: (request, engineConfig) => kvPools.create(request, engineConfig),
    createEngineScope: (scopeOpts) =>
      new EngineScope({ container, coordinators, pluginHooks, env: env.snapshot(), log }, scopeOpts),
    dispose: () => pluginLoader.disposeAll(),
  };
}

function resolveRequests(requests: readonly string[], origin: PluginOrigin, cwd: string): Array<PluginCandidate | UnresolvedPlugin> {
  return requests.map((request) => {
    try {
      return resolvePluginRequest(request, origin, cwd);
    } catch (e) {
      return { origin, request, error: e instanceof PlexusError || e instanceof Error ? e : new Error(String(e)) };
    }
  });
}
