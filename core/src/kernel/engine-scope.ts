/**
 * One engine instance's slice of the kernel: its own hook bus (plugin-level handlers + its own) and its own
 * coordinator instances. Two engines in one process share nothing here.
 * Coordinators follow create → attach → dispose; dispose runs in reverse order.
 */
import type { HookHandlerError } from '../errors.ts';
import { provideValue, type DependencyContainer } from './di/container.ts';
import { Tokens } from './di/tokens.ts';
import type { EnvSnapshot } from './env/env-snapshot.ts';
import type { Logger } from './log.ts';
import type { Coordinator, CoordinatorHost, CoordinatorRegistry } from './registries/coordinator-registry.ts';
import { LifecycleHookBus, type HookTable } from './registries/lifecycle-hooks.ts';

export interface EngineScopeOptions {
  /** default: engine-<n> */
  engineId?: string;
  /** coordinator names to create for this engine, in order */
  coordinators?: readonly string[];
  /** engine settings coordinators may read */
  options?: Readonly<Record<string, unknown>>;
}

export interface EngineScopeDeps {
  container: DependencyContainer;
  coordinators: CoordinatorRegistry;
  pluginHooks: HookTable;
  env: EnvSnapshot;
  log: Logger;
}

let engineCounter = 0;

export class EngineScope implements CoordinatorHost {
  readonly engineId: string;
  readonly hooks: LifecycleHookBus;
  readonly container: DependencyContainer;
  private readonly live: Array<{ name: string; coordinator: Coordinator }> = [];
  private disposed = false;

  constructor(deps: EngineScopeDeps, opts: EngineScopeOptions = {}) {
    this.engineId = opts.engineId ?? `engine-${++engineCounter}`;
    const log = deps.log.child({ engine: this.engineId });
    this.hooks = new LifecycleHookBus({ engineId: this.engineId }, {
      inherited: deps.pluginHooks,
      onFailure: (e: HookHandlerError) => log.warn({ err: e, event: e.event, owner: e.owner, requests: e.requestIds }, e.message),
    });
    this.container = deps.container.createChildContainer();
    provideValue(this.container, Tokens.EngineId, this.engineId);
    provideValue(this.container, Tokens.EngineHooks, this.hooks);

    const names = opts.coordinators ?? [];
    try {
      for (const name of names) {
        const coordinator = deps.coordinators.create(name, { engineId: this.engineId, env: deps.env, log: log.child({ coordinator: name }), options: opts.options ?? {} });
        this.live.push({ name, coordinator });
      }
      for (const { coordinator } of this.live) coordinator.attach(this);
    } catch (e) {
      this.dispose();
      throw e;
    }
    provideValue(this.container, Tokens.EngineCoordinators, new Map(this.live.map((l) => [l.name, l.coordinator])));
  }

  coordinator(name: string): Coordinator | undefined {
    return this.live.find((l) => l.name === name)?.coordinator;
  }

  /** disposes coordinators (last created first) and the hook bus; errors are collected, then the first rethrown */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const errors: unknown[] = [];
    for (const { coordinator } of [...this.live].reverse()) {
      try {
        coordinator.dispose();
      } catch (e) {
        errors.push(e);
      }
    }
    this.live.length = 0;
    this.hooks.dispose();
    if (errors.length) throw errors[0];
  }
}
