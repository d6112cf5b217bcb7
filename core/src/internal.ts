/**
 * @plexus/core/internal: what the server and the CLI use that is not plugin API (plugins import only
 * '@plexus/core'). The engine, its worker host, text generation, checkpoint and tokenizer loading.
 */
export { Engine, DEFAULT_SHUTDOWN_DEADLINE_MS } from './engine/engine.ts';
export type { EngineDeps } from './engine/engine.ts';
export { resolveEngineConfig, DEFAULT_KV_CACHE_BYTES } from './engine/engine-options.ts';
export type { EngineOptions, EngineConfig } from './engine/engine-options.ts';
export type { EngineHookPayloads, EngineHookEvent, EngineHookSink, EngineLogger, HookFailure } from './engine/engine-hooks.ts';
export { createDefaultKvPool, kvBytesPerBlock } from './engine/kv-pool.ts';
export { WorkerEngineClient } from './engine/worker-engine-client.ts';
export type { WorkerEngineClientOptions } from './engine/worker-engine-client.ts';
export type { EngineWorkerSpec, WorkerRuntimeSpec } from './engine/worker-protocol.ts';
export { setDefaultWorkerModelLoader, loadEnginePartsForWorker, loadModelForWorker } from './engine/model-loader.ts';
export type { WorkerModelLoader, WorkerEngineParts } from './engine/model-loader.ts';
export { createRuntimeEngineParts, loadRuntimeEngineParts } from './engine/runtime-model-loader.ts';
export type { RuntimeEngineParts, RuntimeEngineOptions } from './engine/runtime-model-loader.ts';
export { streamText } from './engine/text-generation.ts';
export { handleShutdownSignals } from './engine/shutdown-signals.ts';
export type { ShutdownSignalOptions } from './engine/shutdown-signals.ts';
export { startTsWorker } from './engine/ts-worker.ts';

export * from './model/index.ts';
