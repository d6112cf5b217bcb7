/**
 * The plugin loader. For each plugin: read the manifest (the entry is not evaluated), check the core API
 * range, the toggles and the requirements, then import the entry in its own error boundary, run
 * register(ctx) against staged registrations and commit them only when it completes. One plugin's failure
 * is recorded with its cause and never affects the others.
 */
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { PluginIncompatibleError, PluginLoadError } from '../../errors.ts';
import type { Logger } from '../log.ts';
import { causeText } from '../registries/provider-lookup.ts';
import type { Disposer } from '../registries/registration.ts';
import { CORE_API_VERSION } from '../version.ts';
import { providedNames, type PluginManifest } from './manifest.ts';
import { StagedRegistrations, type KernelRegistries, type PluginContext } from './plugin-context.ts';
import type { PluginRecord } from './plugin-report.ts';
import { locatePlugin, type PluginCandidate, type PluginOrigin } from './plugin-source.ts';
import { satisfiesRange } from './semver-range.ts';

/** What a plugin's entry module exports. */
export interface PluginModule {
  register(ctx: PluginContext): void | Promise<void>;
}

/** A plugin that was asked for but could not even be located. */
export interface UnresolvedPlugin {
  readonly origin: PluginOrigin;
  readonly request: string;
  readonly error: Error;
}

export interface PluginLoaderOptions {
  readonly registries: KernelRegistries;
  readonly log: Logger;
  /** PLEXUS_DISABLED_PLUGINS */
  readonly disabledPlugins?: readonly string[];
  /** PLEXUS_DISABLED_MODEL_ARCHS */
  readonly disabledArchitectures?: readonly string[];
  readonly coreApiVersion?: string;
  /** how entry modules are imported (tests observe it) */
  readonly importModule?: (url: string) => Promise<unknown>;
}

interface Pending {
  candidate: PluginCandidate;
  manifest: PluginManifest;
  entry: string;
}

export class PluginLoader {
  private readonly loaded: PluginRecord[] = [];
  private readonly disposers = new Map<string, Disposer>();
  private readonly coreApiVersion: string;
  private readonly importModule: (url: string) => Promise<unknown>;

  constructor(private readonly opts: PluginLoaderOptions) {
    this.coreApiVersion = opts.coreApiVersion ?? CORE_API_VERSION;
    this.importModule = opts.importModule ?? ((url) => import(url));
  }

  /** every plugin seen so far, in load order */
  records(): readonly PluginRecord[] {
    return this.loaded;
  }

  async loadAll(inputs: ReadonlyArray<PluginCandidate | UnresolvedPlugin>): Promise<readonly PluginRecord[]> {
    const pending: Pending[] = [];
    const seenDirs = new Set(this.loaded.map((r) => r.location));
    for (const input of inputs) {
      if ('error' in input) {
        this.add({ id: input.request, origin: input.origin, location: input.request, status: 'failed', error: input.error, registered: [] });
        continue;
      }
      if (seenDirs.has(input.dir)) continue; // the same folder asked for twice (bundled and --plugin)
      seenDirs.add(input.dir);
      try {
        const { manifest, entry } = await locatePlugin(input);
        pending.push({ candidate: input, manifest, entry });
      } catch (error) {
        const id = error instanceof PluginLoadError ? error.pluginId : path.basename(input.dir);
        this.add({ id, origin: input.origin, location: input.dir, status: 'failed', error: asError(error), registered: [] });
      }
    }
    for (const p of this.dependencyOrder(pending)) await this.loadOne(p, pending);
    return this.loaded;
  }

  /** unregisters everything the loaded plugins registered (reverse load order) */
  disposeAll(): void {
    for (const id of [...this.disposers.keys()].reverse()) {
      this.disposers.get(id)!();
      this.disposers.delete(id);
    }
  }

  private async loadOne(p: Pending, all: readonly Pending[]): Promise<void> {
    const { manifest, candidate } = p;
    const base = { id: manifest.id, version: manifest.version, origin: candidate.origin, location: candidate.dir, manifest };
    const refuse = this.refusal(p, all);
    if (refuse) {
      this.add({ ...base, ...refuse, registered: [] });
      return;
    }
    const started = performance.now();
    const staging = new StagedRegistrations(this.opts.registries, manifest, this.opts.log.child({ plugin: manifest.id }), this.coreApiVersion);
    try {
      const mod = await this.importEntry(p);
      await mod.register(staging.context());
    } catch (error) {
      staging.discard();
      this.add({ ...base, status: 'failed', error: this.wrap(manifest.id, error, 'failed in register()'), registered: [], loadMs: performance.now() - started });
      return;
    }
    const registered = staging.describe();
    try {
      this.disposers.set(manifest.id, staging.commit());
    } catch (error) {
      this.add({ ...base, status: 'failed', error: this.wrap(manifest.id, error, 'could not commit its registrations'), registered: [], loadMs: performance.now() - started });
      return;
    }
    this.add({ ...base, status: 'loaded', registered, loadMs: performance.now() - started });
  }

  /** why this plugin must not be imported, if so */
  private refusal(p: Pending, all: readonly Pending[]): Pick<PluginRecord, 'status' | 'reason' | 'error'> | undefined {
    const { manifest } = p;
    const earlier = this.loaded.find((r) => r.id === manifest.id && r.location !== p.candidate.dir && r.manifest);
    if (earlier) {
      return { status: 'failed', error: new PluginLoadError(manifest.id, `plugin id '${manifest.id}' from ${p.candidate.dir} is already taken by ${earlier.location}; remove one of them`) };
    }
    let compatible: boolean;
    try {
      compatible = satisfiesRange(this.coreApiVersion, manifest.coreApi);
    } catch (e) {
      return { status: 'failed', error: new PluginIncompatibleError(manifest.id, `plugin '${manifest.id}' has an unreadable coreApi range '${manifest.coreApi}': ${(e as Error).message}`) };
    }
    if (!compatible) {
      return {
        status: 'failed',
        error: new PluginIncompatibleError(manifest.id, `plugin '${manifest.id}'@${manifest.version} targets core API ${manifest.coreApi}, but this core provides ${this.coreApiVersion}; ` +
          'install a version of the plugin built for this core (or a core that matches the plugin)'),
      };
    }
    if (this.opts.disabledPlugins?.includes(manifest.id)) return { status: 'disabled', reason: 'listed in PLEXUS_DISABLED_PLUGINS' };
    const archs = providedNames(manifest, 'architectures');
    const disabledArchs = this.opts.disabledArchitectures ?? [];
    if (archs.length > 0 && archs.every((a) => disabledArchs.includes(a))) {
      return { status: 'disabled', reason: `all its architectures (${archs.join(', ')}) are in PLEXUS_DISABLED_MODEL_ARCHS` };
    }
    const caps = this.opts.registries.kernels.capabilities as unknown as Record<string, unknown>;
    const missing = (manifest.requires?.nativeFeatures ?? []).filter((f) => caps[f] !== true);
    if (missing.length) return { status: 'disabled', reason: `this machine lacks native feature(s) ${missing.join(', ')}` };
    for (const dep of manifest.requires?.plugins ?? []) {
      const record = this.loaded.find((r) => r.id === dep);
      if (record?.status === 'loaded') continue;
      if (record?.status === 'disabled') return { status: 'disabled', reason: `requires plugin '${dep}', which is disabled (${record.reason})` };
      if (record?.status === 'failed') {
        return { status: 'failed', error: new PluginLoadError(manifest.id, `requires plugin '${dep}', which failed: ${causeText(record.error)}`, { cause: record.error }) };
      }
      const cyclic = all.some((o) => o.manifest.id === dep);
      return {
        status: 'failed',
        error: new PluginLoadError(manifest.id, cyclic ? `requires plugin '${dep}' through a dependency cycle; break the cycle in requires.plugins`
          : `requires plugin '${dep}', which is not installed; add it (bundled, --plugin or PLEXUS_PLUGINS)`),
      };
    }
    return undefined;
  }

  private async importEntry(p: Pending): Promise<PluginModule> {
    let mod: unknown;
    try {
      mod = await this.importModule(pathToFileURL(p.entry).href);
    } catch (error) {
      throw this.wrap(p.manifest.id, error, `failed to import ${p.entry}`);
    }
    const m = mod as { register?: unknown; default?: unknown };
    const register = typeof m.register === 'function' ? m.register
      : typeof m.default === 'function' ? m.default
      : typeof (m.default as { register?: unknown } | undefined)?.register === 'function' ? (m.default as { register: unknown }).register
      : undefined;
    if (!register) throw new PluginLoadError(p.manifest.id, `entry ${p.entry} of plugin '${p.manifest.id}' exports no register(ctx) function`);
    return { register: register as PluginModule['register'] };
  }

  private wrap(id: string, error: unknown, phase: string): Error {
    if (error instanceof PluginLoadError && error.pluginId === id) return error;
    return new PluginLoadError(id, `plugin '${id}' ${phase}: ${causeText(error)}`, { cause: error });
  }

  /** manifests in input order, except that a plugin comes after the plugins it requires */
  private dependencyOrder(pending: readonly Pending[]): Pending[] {
    const out: Pending[] = [];
    const placed = new Set<Pending>();
    const visiting = new Set<Pending>();
    const visit = (p: Pending) => {
      if (placed.has(p) || visiting.has(p)) return; // a cycle is reported by refusal()
      visiting.add(p);
      for (const dep of p.manifest.requires?.plugins ?? []) {
        const target = pending.find((o) => o.manifest.id === dep);
        if (target) visit(target);
      }
      visiting.delete(p);
      placed.add(p);
      out.push(p);
    };
    pending.forEach(visit);
    return out;
  }

  private add(record: PluginRecord): void {
    this.loaded.push(record);
    const log = this.opts.log;
    if (record.status === 'loaded') log.debug({ plugin: record.id, registered: record.registered.length }, 'plugin loaded');
    else if (record.status === 'disabled') log.info({ plugin: record.id, reason: record.reason }, 'plugin disabled');
    else {
      // the report carries the cause; the stack is for debugging only
      log.error({ plugin: record.id, error: record.error?.message }, `plugin ${record.id} failed to load`);
      log.debug({ plugin: record.id, err: record.error }, 'plugin failure details');
    }
  }
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}
