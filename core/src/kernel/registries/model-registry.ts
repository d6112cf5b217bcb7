/**
 * ModelRegistry: HF architecture name (config.architectures[0], e.g. 'LlamaForCausalLM') → the provider that
 * builds a CausalLM. Asking for an architecture that is disabled, or whose plugin failed, throws a
 * ModelNotSupportedError that names the plugin and the cause.
 */
import { ModelNotSupportedError } from '../../errors.ts';
import type { CausalLM, Checkpoint } from '../../model/types.ts';
import type { EnvSnapshot } from '../env/env-snapshot.ts';
import type { Logger } from '../log.ts';
import type { KernelOps, KernelRegistry } from './kernel-registry.ts';
import { causeText, noProviders, type ProviderLookup } from './provider-lookup.ts';
import type { QuantMethodRegistry } from './quant-method-registry.ts';
import { disposeAll, onceOnly, RegistrationTable, type Disposer } from './registration.ts';

/** What a provider gets besides the checkpoint. */
export interface ModelLoadContext {
  /** kernels resolved through the KernelRegistry for this machine */
  readonly ops: KernelOps;
  readonly kernels: KernelRegistry;
  readonly quant: QuantMethodRegistry;
  readonly env: EnvSnapshot;
  readonly log: Logger;
  /** which plugin provides a name and what happened to it (so a missing quant method's error names its cause) */
  readonly providers?: ProviderLookup;
}

export interface ModelProvider {
  /** HF architecture names this provider builds */
  readonly architectures: readonly string[];
  load(checkpoint: Checkpoint, ctx: ModelLoadContext): CausalLM | Promise<CausalLM>;
}

export interface ModelRegistryOptions {
  /** PLEXUS_DISABLED_MODEL_ARCHS */
  disabledArchitectures?: Iterable<string>;
  providers?: ProviderLookup;
}

export class ModelRegistry {
  private readonly table = new RegistrationTable<ModelProvider>('ModelRegistry');
  private readonly disabled: ReadonlySet<string>;
  private readonly providers: ProviderLookup;

  constructor(opts: ModelRegistryOptions = {}) {
    this.disabled = new Set(opts.disabledArchitectures ?? []);
    this.providers = opts.providers ?? noProviders;
  }

  register(provider: ModelProvider, owner = 'core'): Disposer {
    if (!provider || typeof provider.load !== 'function') throw new TypeError(`ModelRegistry: a provider from ${owner} needs a load(checkpoint, ctx) function`);
    if (!Array.isArray(provider.architectures) || provider.architectures.length === 0) {
      throw new TypeError(`ModelRegistry: a provider from ${owner} must list at least one architecture`);
    }
    const done: Disposer[] = [];
    try {
      for (const arch of provider.architectures) done.push(this.table.add(arch, provider, owner));
    } catch (e) {
      disposeAll(done);
      throw e;
    }
    return onceOnly(() => disposeAll(done));
  }

  isDisabled(architecture: string): boolean {
    return this.disabled.has(architecture);
  }

  /** registered and not disabled */
  has(architecture: string): boolean {
    return this.table.has(architecture) && !this.disabled.has(architecture);
  }

  /** architectures that can be served, sorted */
  architectures(): string[] {
    return this.table.ids().filter((a) => !this.disabled.has(a)).sort();
  }

  ownerOf(architecture: string): string | undefined {
    return this.table.ownerOf(architecture);
  }

  get(architecture: string): ModelProvider {
    if (this.disabled.has(architecture)) {
      const owner = this.table.ownerOf(architecture) ?? this.providers('architectures', architecture)?.pluginId;
      throw new ModelNotSupportedError(`architecture ${architecture}${owner ? ` (plugin '${owner}')` : ''} is disabled by PLEXUS_DISABLED_MODEL_ARCHS; remove it from that list to serve this model`);
    }
    const provider = this.table.get(architecture);
    if (provider) return provider;
    const claimed = this.providers('architectures', architecture);
    if (claimed?.status === 'failed') {
      throw new ModelNotSupportedError(`architecture ${architecture} is provided by plugin '${claimed.pluginId}', which failed to load: ${causeText(claimed.cause)}. ` +
        'Fix that plugin (`plexus plugins` shows the report) and restart', { cause: claimed.cause });
    }
    if (claimed?.status === 'disabled') {
      throw new ModelNotSupportedError(`architecture ${architecture} is provided by plugin '${claimed.pluginId}', which is disabled (${claimed.reason ?? 'no reason given'}); enable it to serve this model`);
    }
    if (claimed) {
      throw new ModelNotSupportedError(`plugin '${claimed.pluginId}' declares architecture ${architecture} in its manifest but did not register it; report this to the plugin's authors`);
    }
    const known = this.architectures();
    throw new ModelNotSupportedError(`architecture ${architecture} is not supported (supported: ${known.length ? known.join(', ') : 'none'}); ` +
      'load a plugin that provides it with --plugin or PLEXUS_PLUGINS');
  }
}
