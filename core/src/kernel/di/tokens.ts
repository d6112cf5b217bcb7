/**
 * Explicit DI tokens (no decorator metadata: works under tsx, vitest and tsc alike). A token carries the
 * type it resolves to, so `resolveToken(container, Tokens.Kernels)` is typed.
 */
import type { EnvRegistry } from '../env/env-registry.ts';
import type { Logger } from '../log.ts';
import type { CoordinatorRegistry, Coordinator } from '../registries/coordinator-registry.ts';
import type { Capabilities, KernelRegistry } from '../registries/kernel-registry.ts';
import type { KvPoolRegistry } from '../registries/kv-pool-registry.ts';
import type { HookTable, LifecycleHookBus } from '../registries/lifecycle-hooks.ts';
import type { ModelRegistry } from '../registries/model-registry.ts';
import type { QuantMethodRegistry } from '../registries/quant-method-registry.ts';
import type { PluginLoader } from '../plugins/plugin-loader.ts';
import type { TextProcessingRegistry } from '../../text/text-processing-registry.ts';

export interface Token<T> {
  readonly key: symbol;
  /** phantom: the resolved type */
  readonly __type?: T;
}

function token<T>(name: string): Token<T> {
  return { key: Symbol.for(`plexus.${name}`) };
}

export const Tokens = {
  Env: token<EnvRegistry>('env'),
  Logger: token<Logger>('logger'),
  Capabilities: token<Capabilities>('capabilities'),
  Models: token<ModelRegistry>('models'),
  QuantMethods: token<QuantMethodRegistry>('quantMethods'),
  KvPools: token<KvPoolRegistry>('kvPools'),
  Coordinators: token<CoordinatorRegistry>('coordinators'),
  Kernels: token<KernelRegistry>('kernels'),
  PluginHooks: token<HookTable>('pluginHooks'),
  Text: token<TextProcessingRegistry>('text'),
  PluginLoader: token<PluginLoader>('pluginLoader'),
  /** engine-scope tokens (registered in each engine's child container) */
  EngineId: token<string>('engineId'),
  EngineHooks: token<LifecycleHookBus>('engineHooks'),
  EngineCoordinators: token<ReadonlyMap<string, Coordinator>>('engineCoordinators'),
} as const;
