/**
 * How the engine worker turns its serialisable spec into a CausalLM. A thin seam: the loader is
 * injected — per spec (`loaderModule`, a module exporting `loadModel`), per call, or as the
 * thread's default (`setDefaultWorkerModelLoader`, where the runtime / ModelRegistry plugs in).
 */
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ModelNotSupportedError } from '../errors.ts';
import type { CausalLM } from '../model/types.ts';
import type { EngineWorkerSpec } from './worker-protocol.ts';

export type WorkerModelLoader = (spec: EngineWorkerSpec) => Promise<CausalLM>;

let defaultLoader: WorkerModelLoader | undefined;

/** sets the loader used when neither the call nor the spec names one; returns the previous one */
export function setDefaultWorkerModelLoader(loader: WorkerModelLoader | undefined): WorkerModelLoader | undefined {
  const previous = defaultLoader;
  defaultLoader = loader;
  return previous;
}

export async function loadModelForWorker(spec: EngineWorkerSpec, loader?: WorkerModelLoader): Promise<CausalLM> {
  const load = loader ?? (spec.loaderModule ? await importLoader(spec.loaderModule) : defaultLoader);
  if (!load) {
    throw new ModelNotSupportedError(`no model loader is configured for the engine worker (model ${spec.modelPath}); set EngineWorkerSpec.loaderModule or register one with setDefaultWorkerModelLoader`);
  }
  const model = await load(spec);
  checkCausalLM(model, spec);
  return model;
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
