/**
 * How the engine worker turns its serialisable spec into what its Engine runs on. A thin seam: the
 * loader is injected — per call, per spec (`loaderModule`, a module exporting `loadModel`), or as the
 * thread's default (`setDefaultWorkerModelLoader`). With none of those the worker builds a Plexus
 * runtime of its own and loads `spec.modelPath` through the ModelRegistry (runtime-model-loader.ts).
 * A loader returns a bare CausalLM (tests' fake models) or the full engine parts (KV pool factory,
 * hooks, logger, and a dispose that runs after the engine has shut down).
 */
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ModelNotSupportedError } from '../errors.ts';
import type { CausalLM, KvPool, KvPoolRequest } from '../model/types.ts';
import type { EngineHookSink, EngineLogger } from './engine-hooks.ts';
import type { ArgmaxRowsKernel } from './sampler.ts';
import type { EngineWorkerSpec } from './worker-protocol.ts';

/** what an Engine needs besides its options, plus cleanup for after engine.shutdown() */
export interface WorkerEngineParts {
  model: CausalLM;
  createKvPool?: (req: KvPoolRequest) => KvPool;
  kvBytesPerBlock?: (req: KvPoolRequest) => number;
  hooks?: EngineHookSink;
  logger?: EngineLogger;
  /** batched argmax for greedy sampling (the runtime's 'argmax' kernel) */
  argmaxRows?: ArgmaxRowsKernel;
  dispose?(): void;
}

export type WorkerModelLoader = (spec: EngineWorkerSpec) => Promise<CausalLM | WorkerEngineParts>;

let defaultLoader: WorkerModelLoader | undefined;

/** sets the loader used when neither the call nor the spec names one; returns the previous one */
export function setDefaultWorkerModelLoader(loader: WorkerModelLoader | undefined): WorkerModelLoader | undefined {
  const previous = defaultLoader;
  defaultLoader = loader;
  return previous;
}

export async function loadEnginePartsForWorker(spec: EngineWorkerSpec, loader?: WorkerModelLoader): Promise<WorkerEngineParts> {
  const load = loader ?? (spec.loaderModule ? await importLoader(spec.loaderModule) : defaultLoader ?? (await runtimeLoader()));
  const loaded = await load(spec);
  const parts: WorkerEngineParts = isEngineParts(loaded) ? loaded : { model: loaded };
  try {
    checkCausalLM(parts.model, spec);
  } catch (e) {
    parts.dispose?.();
    throw e;
  }
  return parts;
}

/** the model alone (the caller owns it) */
export async function loadModelForWorker(spec: EngineWorkerSpec, loader?: WorkerModelLoader): Promise<CausalLM> {
  return (await loadEnginePartsForWorker(spec, loader)).model;
}

async function runtimeLoader(): Promise<WorkerModelLoader> {
  // imported on demand: a worker with an injected loader never builds a runtime
  return (await import('./runtime-model-loader.ts')).loadRuntimeEngineParts;
}

async function importLoader(specifier: string): Promise<WorkerModelLoader> {
  const url = specifier.startsWith('file:') ? specifier : pathToFileURL(isAbsolute(specifier) ? specifier : resolve(specifier)).href;
  const mod = (await import(url)) as { loadModel?: unknown; default?: unknown };
  const fn = typeof mod.loadModel === 'function' ? mod.loadModel : mod.default;
  if (typeof fn !== 'function') {
    throw new ModelNotSupportedError(`model loader module ${specifier} exports no loadModel(spec) function`);
  }
  return fn as WorkerModelLoader;
}

function isEngineParts(x: unknown): x is WorkerEngineParts {
  return !!x && typeof x === 'object' && typeof (x as { forward?: unknown }).forward !== 'function' && 'model' in x;
}

function checkCausalLM(model: unknown, spec: EngineWorkerSpec): asserts model is CausalLM {
  const m = model as Partial<CausalLM> | null;
  const missing = !m || typeof m !== 'object'
    ? ['everything']
    : (['forward', 'kvRequest', 'dispose'] as const).filter((k) => typeof m[k] !== 'function');
  if (m && typeof m === 'object' && !(Number.isInteger(m.vocabSize) && m.vocabSize! > 0)) missing.push('vocabSize');
  if (m && typeof m === 'object' && !(Number.isInteger(m.maxContextLength) && m.maxContextLength! > 0)) missing.push('maxContextLength');
  if (missing.length > 0) {
    throw new ModelNotSupportedError(`the model loader returned something that is not a CausalLM for ${spec.modelPath} (bad or missing: ${missing.join(', ')})`);
  }
}
