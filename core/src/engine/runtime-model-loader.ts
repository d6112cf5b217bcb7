/**
 * Builds what an Engine needs from a model directory through the Plexus runtime: the checkpoint, the
 * model from the ModelRegistry, KV pools from the KvPoolRegistry (priced by the pool that will really
 * be created) and the lifecycle hooks of an engine scope. `plexus generate` uses it in-process; the
 * engine worker uses it as its default model loader (a runtime of its own, built from the spec).
 */
import { createPlexus, type Plexus, type PlexusOptions } from '../kernel/runtime.ts';
import type { EngineScope } from '../kernel/engine-scope.ts';
import type { LifecycleHookBus } from '../kernel/registries/lifecycle-hooks.ts';
import { loadCheckpoint } from '../model/checkpoint.ts';
import type { CausalLM, Checkpoint, KvPool, KvPoolRequest } from '../model/types.ts';
import type { EngineLogger } from './engine-hooks.ts';
import type { EngineOptions } from './engine-options.ts';
import { kvBytesPerBlock } from './kv-pool.ts';
import type { ArgmaxRowsKernel } from './sampler.ts';
import type { EngineWorkerSpec } from './worker-protocol.ts';

/** An Engine's dependencies plus what must be released after the engine has shut down. */
export interface RuntimeEngineParts {
  model: CausalLM;
  createKvPool: (req: KvPoolRequest) => KvPool;
  kvBytesPerBlock: (req: KvPoolRequest) => number;
  /** the engine scope's bus: plugin handlers + this engine's own (an EngineHookSink) */
  hooks: LifecycleHookBus;
  logger: EngineLogger;
  /** the KernelRegistry's 'argmax' op for greedy sampling; absent when no row can run here */
  argmaxRows?: ArgmaxRowsKernel;
  checkpoint: Checkpoint;
  /** after engine.shutdown(): closes the engine scope and unmaps the weights (the engine disposed the model) */
  dispose(): void;
}

export interface RuntimeEngineOptions {
  /** the engine settings KV pool predicates may read */
  engine?: EngineOptions;
  /** coordinators of this engine's scope, in order */
  coordinators?: readonly string[];
}

/** checkpoint → model → KV pool factory + hooks, on an existing runtime (the caller still owns `plexus`) */
export async function createRuntimeEngineParts(plexus: Plexus, modelPath: string, opts: RuntimeEngineOptions = {}): Promise<RuntimeEngineParts> {
  const log = plexus.log;
  log.info({ modelPath }, 'loading checkpoint');
  const checkpoint = await loadCheckpoint(modelPath);
  let model: CausalLM | undefined;
  let scope: EngineScope | undefined;
  try {
    log.info({ architecture: checkpoint.architecture, weightBytes: checkpoint.tensors.totalBytes }, 'building the model');
    model = await plexus.loadModel(checkpoint);
    scope = plexus.createEngineScope({ coordinators: opts.coordinators ?? [], options: { ...opts.engine } });
  } catch (e) {
    model?.dispose();
    checkpoint.tensors.close();
    throw e;
  }
  const engineConfig: Readonly<Record<string, unknown>> = { ...opts.engine };
  const engineScope = scope;
  const argmaxRows = argmaxKernel(plexus);
  let disposed = false;
  return {
    model,
    checkpoint,
    ...(argmaxRows ? { argmaxRows } : {}),
    createKvPool: (req) => {
      const pool = plexus.createKvPool(req, engineConfig);
      log.info({ pool: pool.id, blocks: pool.numBlocks, blockSize: pool.blockSize, tokens: pool.numBlocks * pool.blockSize, bytes: pool.numBlocks * pool.bytesPerBlock }, 'KV pool ready');
      return pool;
    },
    kvBytesPerBlock: (req) => priceBlock(plexus, req, engineConfig),
    hooks: engineScope.hooks,
    logger: log,
    dispose() {
      if (disposed) return;
      disposed = true;
      try {
        engineScope.dispose();
      } finally {
        checkpoint.tensors.close();
      }
    },
  };
}

/** the engine worker's default loader: a runtime of its own (same plugins and env as the main thread) */
export async function loadRuntimeEngineParts(spec: EngineWorkerSpec): Promise<RuntimeEngineParts> {
  const runtime = spec.runtime ?? {};
  const options: PlexusOptions = {
    // the worker repeats the main thread's start-up (plugin report, env warnings): its lines say where they come from
    logBindings: { thread: 'engine' },
    plugins: spec.pluginPaths ?? [],
    strictEnv: runtime.strictEnv ?? false,
    ...(runtime.env ? { env: runtime.env } : {}),
    ...(runtime.cwd ? { cwd: runtime.cwd } : {}),
  };
  const plexus = await createPlexus(options);
  let parts: RuntimeEngineParts;
  try {
    parts = await createRuntimeEngineParts(plexus, spec.modelPath, {
      engine: spec.engine,
      ...(runtime.coordinators ? { coordinators: runtime.coordinators } : {}),
    });
  } catch (e) {
    plexus.dispose();
    throw e;
  }
  return {
    ...parts,
    dispose() {
      try {
        parts.dispose();
      } finally {
        plexus.dispose();
      }
    },
  };
}

/** the registry's argmax op, resolved now (and recorded for `plexus kernels`), re-resolved if registrations change */
function argmaxKernel(plexus: Plexus): ArgmaxRowsKernel | undefined {
  try {
    plexus.kernels.resolve('argmax');
  } catch (err) {
    plexus.log.info({ err }, 'no argmax kernel can run here; greedy sampling uses the JS loop');
    return undefined;
  }
  const ops = plexus.kernels.bindOps();
  return (x, rows, cols) => ops.argmax(x, rows, cols);
}

/** bytes of one block of the pool this model will get: a plugin pool is asked (one-block probe), the core pool is computed */
function priceBlock(plexus: Plexus, req: KvPoolRequest, engineConfig: Readonly<Record<string, unknown>>): number {
  const selection = plexus.kvPools.select(req.modelConfig, engineConfig);
  if (selection.source === 'default') return kvBytesPerBlock(req);
  const probe = selection.create({ ...req, numBlocks: 1 });
  try {
    return probe.bytesPerBlock;
  } finally {
    probe.dispose();
  }
}
