/**
 * The context a plugin's register(ctx) receives. Every registration is staged, checked against the
 * manifest, and applied to the registries only when register() completes (all or nothing).
 */
import { PluginLoadError } from '../../errors.ts';
import type { EnvRegistry } from '../env/env-registry.ts';
import type { EnvType, EnvValue, EnvVar, EnvVars, EnvVarSpec } from '../env/env-spec.ts';
import type { Logger } from '../log.ts';
import type { CoordinatorFactory, CoordinatorRegistry } from '../registries/coordinator-registry.ts';
import type { Capabilities, KernelOpName, KernelRegistry, KernelRow } from '../registries/kernel-registry.ts';
import type { KvPoolProvider, KvPoolRegistry } from '../registries/kv-pool-registry.ts';
import type { EventHandler, HookTable, LifecycleEventName, LifecycleQueryName, QueryHandler } from '../registries/lifecycle-hooks.ts';
import type { ModelProvider, ModelRegistry } from '../registries/model-registry.ts';
import type { ProvidesKind } from '../registries/provider-lookup.ts';
import type { QuantMethodRegistry, QuantWrapper } from '../registries/quant-method-registry.ts';
import { disposeAll, onceOnly, type Disposer } from '../registries/registration.ts';
import { TEXT_PROVIDES_KIND, type TextProcessingRegistry, type TextProcessorFactory, type TextProcessorKind } from '../../text/text-processing-registry.ts';
import { providedNames, type PluginManifest } from './manifest.ts';

/** The registries a plugin can add to. */
export interface KernelRegistries {
  readonly models: ModelRegistry;
  readonly quantMethods: QuantMethodRegistry;
  readonly kvPools: KvPoolRegistry;
  readonly coordinators: CoordinatorRegistry;
  readonly kernels: KernelRegistry;
  readonly env: EnvRegistry;
  readonly text: TextProcessingRegistry;
  /** plugin-level lifecycle handlers, installed into every engine instance's hook bus */
  readonly hooks: HookTable;
}

export type EnvDeclaration<T extends EnvType> = Omit<EnvVarSpec<T>, 'owner'>;

export interface PluginContext {
  readonly pluginId: string;
  readonly manifest: PluginManifest;
  readonly coreApiVersion: string;
  readonly capabilities: Capabilities;
  readonly log: Logger;
  readonly models: { register(provider: ModelProvider): Disposer };
  readonly quantMethods: { register<Ctx, M extends object>(wrapper: QuantWrapper<Ctx, M>): Disposer };
  readonly kvPools: { register(provider: KvPoolProvider): Disposer };
  readonly coordinators: { register(name: string, factory: CoordinatorFactory): Disposer };
  readonly kernels: { register<Op extends KernelOpName>(op: Op, row: KernelRow<Op>): Disposer };
  readonly env: {
    /** declares a variable owned by this plugin; the returned handle reads it (also during register) */
    declare<T extends EnvType>(spec: EnvDeclaration<T>): EnvVar<EnvValue<T>>;
    get<K extends keyof EnvVars & string>(name: K): EnvVars[K];
    get<V>(variable: EnvVar<V>): V;
  };
  /** chat encoders, reasoning parsers and tool-call parsers, by name */
  readonly text: {
    register<K extends TextProcessorKind>(kind: K, name: string, factory: TextProcessorFactory<K>): Disposer;
    /** the chat encoder used for `architecture` when its checkpoint ships no chat template */
    setDefaultChatEncoder(architecture: string, encoderName: string): Disposer;
  };
  /** handlers run on every engine instance's bus, with the engine they run for as second argument */
  readonly hooks: {
    on<E extends LifecycleEventName>(event: E, handler: EventHandler<E>): Disposer;
    answer<Q extends LifecycleQueryName>(query: Q, handler: QueryHandler<Q>): Disposer;
  };
}

interface Staged {
  /** e.g. "kernel row matmul.avx2" */
  readonly what: string;
  apply(): Disposer;
  withdrawn: boolean;
  /** the live disposer once applied */
  applied?: Disposer;
}

/** Collects one plugin's registrations; `commit` applies them all or none. */
export class StagedRegistrations {
  private readonly staged: Staged[] = [];
  private readonly stagedEnv = new Map<string, EnvVarSpec>();
  private state: 'staging' | 'committed' | 'closed' = 'staging';

  constructor(
    private readonly registries: KernelRegistries,
    private readonly manifest: PluginManifest,
    private readonly log: Logger,
    private readonly coreApiVersion: string,
  ) {}

  context(): PluginContext {
    const id = this.manifest.id;
    const env = this.registries.env;
    return Object.freeze({
      pluginId: id,
      manifest: this.manifest,
      coreApiVersion: this.coreApiVersion,
      capabilities: this.registries.kernels.capabilities,
      log: this.log,
      models: {
        register: (provider: ModelProvider) => {
          for (const arch of provider?.architectures ?? []) this.declared('architectures', arch, 'architecture');
          return this.stage(`architectures ${(provider?.architectures ?? []).join(', ')}`, () => this.registries.models.register(provider, id));
        },
      },
      quantMethods: {
        register: <Ctx, M extends object>(wrapper: QuantWrapper<Ctx, M>) => {
          this.declared('quantMethods', wrapper?.id, 'quant method');
          return this.stage(`quant method ${wrapper.id}`, () => this.registries.quantMethods.register(wrapper, id));
        },
      },
      kvPools: {
        register: (provider: KvPoolProvider) => {
          this.declared('kvPools', provider?.id, 'KV pool');
          return this.stage(`KV pool ${provider.id}`, () => this.registries.kvPools.register(provider, id));
        },
      },
      coordinators: {
        register: (name: string, factory: CoordinatorFactory) => {
          this.declared('coordinators', name, 'coordinator');
          return this.stage(`coordinator ${name}`, () => this.registries.coordinators.register(name, factory, id));
        },
      },
      kernels: {
        register: <Op extends KernelOpName>(op: Op, row: KernelRow<Op>) => {
          this.declared('kernels', row?.id, 'kernel row');
          return this.stage(`kernel row ${row.id} (${op})`, () => this.registries.kernels.register(op, row, id));
        },
      },
      env: {
        declare: <T extends EnvType>(decl: EnvDeclaration<T>): EnvVar<EnvValue<T>> => {
          this.declared('env', decl?.name, 'env variable');
          const spec = { ...decl, owner: id } as EnvVarSpec<T>;
          env.preview(spec); // validates the declaration and, for an invalid enum value, throws now
          this.stagedEnv.set(spec.name, spec as EnvVarSpec);
          this.stage(`env ${spec.name}`, () => env.declare(spec).dispose);
          return { name: spec.name };
        },
        get: ((nameOrVar: string | EnvVar<unknown>) => {
          const name = typeof nameOrVar === 'string' ? nameOrVar : nameOrVar.name;
          const staged = this.stagedEnv.get(name);
          if (staged && this.state === 'staging') return env.preview(staged);
          return env.snapshot().get(name as keyof EnvVars & string);
        }) as PluginContext['env']['get'],
      },
      text: {
        register: <K extends TextProcessorKind>(kind: K, name: string, factory: TextProcessorFactory<K>) => {
          this.declared(TEXT_PROVIDES_KIND[kind], name, kind);
          return this.stage(`${kind} ${name}`, () => this.registries.text.register(kind, name, factory, id));
        },
        setDefaultChatEncoder: (architecture: string, encoderName: string) => {
          this.declared('architectures', architecture, 'architecture (default chat encoder)');
          return this.stage(`default chat encoder of ${architecture}`, () => this.registries.text.setDefaultChatEncoder(architecture, encoderName, id));
        },
      },
      hooks: {
        on: <E extends LifecycleEventName>(event: E, handler: EventHandler<E>) =>
          this.stage(`hook ${event}`, () => this.registries.hooks.on(event, handler, `plugin '${id}'`)),
        answer: <Q extends LifecycleQueryName>(query: Q, handler: QueryHandler<Q>) =>
          this.stage(`query ${query}`, () => this.registries.hooks.answer(query, handler, `plugin '${id}'`)),
      },
    });
  }

  /** what was staged (and not withdrawn), in order */
  describe(): string[] {
    return this.staged.filter((s) => !s.withdrawn).map((s) => s.what);
  }

  /** Applies every staged registration; on the first failure undoes the applied ones and rethrows. */
  commit(): Disposer {
    this.assertStaging();
    const applied: Disposer[] = [];
    try {
      for (const s of this.staged) {
        if (s.withdrawn) continue;
        s.applied = s.apply();
        applied.push(s.applied);
      }
    } catch (e) {
      disposeAll(applied);
      this.state = 'closed';
      throw e;
    }
    this.state = 'committed';
    return onceOnly(() => disposeAll(applied));
  }

  /** Drops everything staged (register threw). */
  discard(): void {
    this.state = 'closed';
    this.staged.length = 0;
  }

  private stage(what: string, apply: () => Disposer): Disposer {
    this.assertStaging();
    const item: Staged = { what, apply, withdrawn: false };
    this.staged.push(item);
    return onceOnly(() => {
      if (item.applied) item.applied();
      else item.withdrawn = true;
    });
  }

  private declared(kind: ProvidesKind, name: string | undefined, label: string): void {
    this.assertStaging();
    if (typeof name !== 'string' || !name) throw new PluginLoadError(this.manifest.id, `plugin '${this.manifest.id}' tried to register a ${label} without a name`);
    if (!providedNames(this.manifest, kind).includes(name)) {
      throw new PluginLoadError(this.manifest.id, `plugin '${this.manifest.id}' registers ${label} '${name}' that its manifest does not list in provides.${kind}; ` +
        'add it to the manifest (the loader relies on it to disable and explain plugins without importing them)');
    }
  }

  private assertStaging(): void {
    if (this.state !== 'staging') {
      throw new PluginLoadError(this.manifest.id, `plugin '${this.manifest.id}' registered something after its register() finished; register everything before register() returns (or resolves)`);
    }
  }
}
