/**
 * CoordinatorRegistry: named coordinator factories (e.g. 'hisparse'). An engine instance creates its own
 * instance of each coordinator it uses (never shared across engines): create → attach(engine) → dispose.
 */
import { CoordinatorNotFoundError } from '../../errors.ts';
import type { EnvSnapshot } from '../env/env-snapshot.ts';
import type { Logger } from '../log.ts';
import type { LifecycleHookBus } from './lifecycle-hooks.ts';
import { explainProvider, noProviders, type ProviderLookup } from './provider-lookup.ts';
import { RegistrationTable, type Disposer } from './registration.ts';

export interface CoordinatorDeps {
  readonly engineId: string;
  readonly env: EnvSnapshot;
  readonly log: Logger;
  /** engine options the coordinator may read (model config, budgets…) */
  readonly options: Readonly<Record<string, unknown>>;
}

/** What a coordinator attaches to: its engine instance's hook bus. */
export interface CoordinatorHost {
  readonly engineId: string;
  readonly hooks: LifecycleHookBus;
}

export interface Coordinator {
  /** subscribe to the engine's hooks; called once, after create */
  attach(host: CoordinatorHost): void;
  /** release everything; called once when the engine shuts down */
  dispose(): void;
}

export type CoordinatorFactory = (deps: CoordinatorDeps) => Coordinator;

export class CoordinatorRegistry {
  private readonly table = new RegistrationTable<CoordinatorFactory>('CoordinatorRegistry');

  constructor(private readonly providers: ProviderLookup = noProviders) {}

  register(name: string, factory: CoordinatorFactory, owner = 'core'): Disposer {
    if (typeof factory !== 'function') throw new TypeError(`CoordinatorRegistry: '${name}' needs a factory function`);
    return this.table.add(name, factory, owner);
  }

  names(): string[] {
    return this.table.ids().sort();
  }

  has(name: string): boolean {
    return this.table.has(name);
  }

  /** a new instance (not yet attached); throws CoordinatorNotFoundError with the registered names and the provider's failure */
  create(name: string, deps: CoordinatorDeps): Coordinator {
    const factory = this.table.get(name);
    if (!factory) {
      const provider = this.providers('coordinators', name);
      throw new CoordinatorNotFoundError(name, this.names(), explainProvider('coordinators', name, provider), {
        cause: provider?.status === 'failed' ? provider.cause : undefined,
      });
    }
    const coordinator = factory(deps);
    if (!coordinator || typeof coordinator.attach !== 'function' || typeof coordinator.dispose !== 'function') {
      throw new TypeError(`coordinator '${name}' (from ${this.table.ownerOf(name)}): the factory must return { attach(host), dispose() }`);
    }
    return coordinator;
  }
}
