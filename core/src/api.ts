/** The public plugin API of @plexus/core: the only module third-party plugins import. */
export * from './errors.ts';
export type * from './model/types.ts';
export type * from './engine/types.ts';
export { Tensor, DTYPE_BYTES } from '@plexus/native';
export type { DType, NativeOps } from '@plexus/native';
// RoPE frequency tables (default/linear/dynamic/llama3/yarn) are shared math that model plugins need
export { computeRopeInvFreq } from '@plexus/native';
// validated config.json field reads shared by model plugins
export { ConfigReader } from './model/config/config-reader.ts';
export type { RawConfig } from './model/config/config-reader.ts';
export type { RopeFrequencies, RopeScalingConfig } from '@plexus/native';

// ---- microkernel: runtime, registries, plugin API, env ----
export { CORE_API_VERSION } from './kernel/version.ts';
export { createPlexus } from './kernel/runtime.ts';
export type { Plexus, PlexusOptions } from './kernel/runtime.ts';
export { EngineScope } from './kernel/engine-scope.ts';
export type { EngineScopeOptions } from './kernel/engine-scope.ts';
export { createLogger, silentLogger, LOG_LEVELS } from './kernel/log.ts';
export type { Logger, LogLevel } from './kernel/log.ts';
export { Tokens } from './kernel/di/tokens.ts';
export type { Token } from './kernel/di/tokens.ts';
export { resolveToken } from './kernel/di/container.ts';

export type { Disposer } from './kernel/registries/registration.ts';
export { ModelRegistry } from './kernel/registries/model-registry.ts';
export type { ModelProvider, ModelLoadContext } from './kernel/registries/model-registry.ts';
export { QuantMethodRegistry, Declined } from './kernel/registries/quant-method-registry.ts';
export type { QuantWrapper, QuantLayer, QuantConfig, WrapResult } from './kernel/registries/quant-method-registry.ts';
export { KvPoolRegistry, DEFAULT_KV_POOL_ID } from './kernel/registries/kv-pool-registry.ts';
export type { KvPoolProvider, KvPoolFactory, KvPoolSelection, KvEngineConfig } from './kernel/registries/kv-pool-registry.ts';
export { CoordinatorRegistry } from './kernel/registries/coordinator-registry.ts';
export type { Coordinator, CoordinatorDeps, CoordinatorFactory, CoordinatorHost } from './kernel/registries/coordinator-registry.ts';
export { LifecycleHookBus, HookTable } from './kernel/registries/lifecycle-hooks.ts';
export type {
  LifecycleEvents, LifecycleQueries, LifecycleEventName, LifecycleQueryName, EventHandler, QueryHandler, HookEngineInfo,
} from './kernel/registries/lifecycle-hooks.ts';
export { KernelRegistry } from './kernel/registries/kernel-registry.ts';
export type { KernelOps, KernelOpName, KernelRow, KernelShape, KernelOverride, KernelResolution, Capabilities } from './kernel/registries/kernel-registry.ts';
export type { ProvidesKind } from './kernel/registries/provider-lookup.ts';

export { EnvRegistry, formatEnvValue } from './kernel/env/env-registry.ts';
export { EnvSnapshot } from './kernel/env/env-snapshot.ts';
export type { EnvEntry } from './kernel/env/env-snapshot.ts';
export { defineEnv } from './kernel/env/env-spec.ts';
export type { EnvType, EnvValue, EnvVar, EnvVarSpec, EnvVars } from './kernel/env/env-spec.ts';
export { CORE_ENV } from './kernel/env/core-env.ts';

export type { PluginManifest, PluginProvides, PluginRequirements } from './kernel/plugins/manifest.ts';
export type { PluginContext, EnvDeclaration } from './kernel/plugins/plugin-context.ts';
export type { PluginModule } from './kernel/plugins/plugin-loader.ts';
export { formatPluginReport } from './kernel/plugins/plugin-report.ts';
export type { PluginRecord, PluginRecordJson, PluginReportJson, PluginStatus } from './kernel/plugins/plugin-report.ts';
export { satisfiesRange } from './kernel/plugins/semver-range.ts';
export * from './text/index.ts';
// standard quant methods (unquantized, fp8-block) and the generic MoE layer that model plugins build on
export * from './quant/index.ts';
export * from './moe/index.ts';
