/**
 * KvPoolRegistry: consulted for every model (never behind an `if (isSomeModel)`): the highest-priority
 * provider whose predicate matches creates the pool; none → the core's default paged pool; two matches at
 * the same (highest) priority → AmbiguousKvPoolError.
 */
import { AmbiguousKvPoolError, ExtensionFailedError, PlexusError } from '../../errors.ts';
import type { KvPool, KvPoolRequest } from '../../model/types.ts';
import { RegistrationTable, type Disposer } from './registration.ts';

/** Engine settings a predicate may look at (block size, memory budget, feature flags…); model-agnostic. */
export type KvEngineConfig = Readonly<Record<string, unknown>>;

export type KvPoolFactory = (request: KvPoolRequest) => KvPool;

export interface KvPoolProvider {
  readonly id: string;
  /** higher wins; default 100 */
  readonly priority?: number;
  predicate(modelConfig: Readonly<Record<string, unknown>>, engineConfig: KvEngineConfig): boolean;
  create: KvPoolFactory;
}

export interface KvPoolSelection {
  readonly id: string;
  readonly source: 'plugin' | 'default';
  readonly create: KvPoolFactory;
}

export const DEFAULT_KV_POOL_ID = 'core.paged';

export class KvPoolRegistry {
  private readonly table = new RegistrationTable<KvPoolProvider>(
    'KvPoolRegistry',
    (a, b) => a.create === b.create && a.predicate === b.predicate && (a.priority ?? 100) === (b.priority ?? 100),
  );

  /** @param defaultFactory the pool used when no provider matches (the engine's paged pool) */
  constructor(private readonly defaultFactory: KvPoolFactory) {}

  register(provider: KvPoolProvider, owner = 'core'): Disposer {
    if (!provider || typeof provider.predicate !== 'function' || typeof provider.create !== 'function') {
      throw new TypeError(`KvPoolRegistry: provider '${provider?.id}' needs predicate and create functions`);
    }
    if (provider.priority !== undefined && !Number.isFinite(provider.priority)) {
      throw new TypeError(`KvPoolRegistry: provider '${provider.id}': priority must be a finite number`);
    }
    return this.table.add(provider.id, provider, owner);
  }

  ids(): string[] {
    return this.table.ids();
  }

  select(modelConfig: Readonly<Record<string, unknown>>, engineConfig: KvEngineConfig = {}): KvPoolSelection {
    const matches: KvPoolProvider[] = [];
    for (const { value: provider } of this.table.list()) {
      let hit: boolean;
      try {
        hit = provider.predicate(modelConfig, engineConfig);
      } catch (cause) {
        throw new ExtensionFailedError('KvPoolRegistry', provider.id, 'predicate', { cause });
      }
      if (hit === true) matches.push(provider);
    }
    if (matches.length === 0) return { id: DEFAULT_KV_POOL_ID, source: 'default', create: this.defaultFactory };
    const top = Math.max(...matches.map((p) => p.priority ?? 100));
    const best = matches.filter((p) => (p.priority ?? 100) === top);
    if (best.length > 1) throw new AmbiguousKvPoolError(best.map((p) => p.id).sort(), top);
    const chosen = best[0]!;
    return { id: chosen.id, source: 'plugin', create: (req) => chosen.create(req) };
  }

  /** select with the request's model config, then create the pool */
  create(request: KvPoolRequest, engineConfig: KvEngineConfig = {}): KvPool {
    const selection = this.select(request.modelConfig, engineConfig);
    try {
      return selection.create(request);
    } catch (cause) {
      // typed errors (CapacityError…) keep their class so callers can map them
      if (selection.source === 'default' || cause instanceof PlexusError) throw cause;
      throw new ExtensionFailedError('KvPoolRegistry', selection.id, 'create', { cause });
    }
  }
}
