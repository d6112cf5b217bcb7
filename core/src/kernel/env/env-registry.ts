/**
 * EnvRegistry: declarations + one captured copy of the environment (taken at startup, after CLI flags).
 * Each variable is parsed once, when declared, into the base snapshot; later changes to process.env have no
 * effect. Tests run code under `overrideScope`, which re-snapshots with some raw values replaced (or unset)
 * for the duration of a callback (async-safe: concurrent scopes do not see each other).
 *
 * Invalid values: enums (and specs with onInvalid 'throw') throw EnvVarError; other kinds warn and use the
 * default. Undeclared PLEXUS_* variables warn once each, or throw in strict mode (--strict-env).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { EnvVarError } from '../../errors.ts';
import { onceOnly, type Disposer } from '../registries/registration.ts';
import { ENV_PREFIX, type EnvType, type EnvValue, type EnvVar, type EnvVarSpec } from './env-spec.ts';
import { EnvSnapshot, type EnvEntry } from './env-snapshot.ts';
import { parseEnvValue } from './parse-env-value.ts';

export type RawEnv = Readonly<Record<string, string | undefined>>;

export interface EnvRegistryOptions {
  /** the environment to capture (default process.env) */
  source?: RawEnv;
  /** raw values that win over `source` (CLI flags) */
  overrides?: RawEnv;
  /** where warnings go (default: nowhere; the runtime passes its logger) */
  warn?: (message: string, variable: string) => void;
}

export class EnvRegistry {
  private readonly source: RawEnv;
  private readonly specs = new Map<string, EnvVarSpec>();
  private readonly base = new Map<string, EnvEntry>();
  private readonly baseSnapshot = new EnvSnapshot(this.base);
  private readonly scopes = new AsyncLocalStorage<EnvSnapshot>();
  private readonly warnedUnknown = new Set<string>();
  private readonly warnSink: (message: string, variable: string) => void;

  constructor(opts: EnvRegistryOptions = {}) {
    this.source = Object.freeze(mergeRaw(captureEnv(opts.source ?? process.env), opts.overrides ?? {}));
    this.warnSink = opts.warn ?? (() => {});
  }

  /** Declares a variable and parses it from the captured environment. Throws for an invalid enum. */
  declare<T extends EnvType>(spec: EnvVarSpec<T>): { variable: EnvVar<EnvValue<T>>; dispose: Disposer } {
    validateSpec(spec);
    const existing = this.specs.get(spec.name);
    if (existing) {
      if (sameSpec(existing, spec)) return { variable: { name: spec.name }, dispose: () => {} };
      throw new EnvVarError(spec.name, `${spec.name} is already declared by ${existing.owner}; a variable has one owner (declared again by ${spec.owner})`);
    }
    const entry = this.parse(spec, this.source, true);
    this.specs.set(spec.name, spec as EnvVarSpec);
    this.base.set(spec.name, entry);
    return {
      variable: { name: spec.name },
      dispose: onceOnly(() => {
        if (this.specs.get(spec.name) === (spec as EnvVarSpec)) {
          this.specs.delete(spec.name);
          this.base.delete(spec.name);
        }
      }),
    };
  }

  /** What `declare` would produce, without declaring or warning (a plugin reading its own staged variable). */
  preview<T extends EnvType>(spec: EnvVarSpec<T>): EnvValue<T> {
    validateSpec(spec);
    return this.parse(spec, this.source, false).value as EnvValue<T>;
  }

  isDeclared(name: string): boolean {
    return this.specs.has(name);
  }

  /** the snapshot in effect here: the innermost override scope's, else the startup one */
  snapshot(): EnvSnapshot {
    return this.scopes.getStore() ?? this.baseSnapshot;
  }

  /**
   * Runs `fn` with these raw values replacing the captured ones (undefined = unset), re-parsed into a fresh
   * snapshot. Returns fn's result (a promise stays inside the scope until it settles).
   */
  overrideScope<R>(overrides: RawEnv, fn: () => R): R {
    const raw = mergeRaw(this.source, overrides);
    const entries = new Map<string, EnvEntry>();
    for (const spec of this.specs.values()) entries.set(spec.name, this.parse(spec, raw, true));
    return this.scopes.run(new EnvSnapshot(entries), fn);
  }

  /** undeclared PLEXUS_* names in the captured environment; warns once per name, or throws when strict */
  validateUnknown(opts: { strict?: boolean } = {}): string[] {
    const aliases = new Set([...this.specs.values()].flatMap((s) => s.deprecatedAliases ?? []));
    const unknown = Object.keys(this.source)
      .filter((name) => name.startsWith(ENV_PREFIX) && this.source[name] !== undefined && !this.specs.has(name) && !aliases.has(name))
      .sort();
    if (unknown.length && opts.strict) {
      throw new EnvVarError(unknown[0]!, `undeclared variable(s) ${unknown.join(', ')} (--strict-env): fix the name, unset it, or load the plugin that declares it (\`plexus env\` lists the known ones)`);
    }
    for (const name of unknown) {
      if (this.warnedUnknown.has(name)) continue;
      this.warnedUnknown.add(name);
      this.warnSink(`${name} is set but no core component or loaded plugin declares it; it has no effect (\`plexus env\` lists the known variables)`, name);
    }
    return unknown;
  }

  private parse(spec: EnvVarSpec, raw: RawEnv, warn: boolean): EnvEntry {
    let value = raw[spec.name];
    let source: EnvEntry['source'] = 'env';
    const setAlias = (spec.deprecatedAliases ?? []).find((a) => nonEmpty(raw[a]));
    if (!nonEmpty(value) && setAlias) {
      value = raw[setAlias];
      source = 'alias';
      if (warn) this.warnSink(`${setAlias} is deprecated; rename it to ${spec.name}`, setAlias);
    } else if (setAlias && warn) {
      this.warnSink(`${setAlias} is deprecated and ignored because ${spec.name} is set`, setAlias);
    }
    if (!nonEmpty(value)) return { spec, value: spec.default, source: 'default' };
    const outcome = parseEnvValue(spec, value);
    if (outcome.ok) return { spec, value: outcome.value, source, raw: value };
    const policy = spec.onInvalid ?? (spec.type === 'enum' ? 'throw' : 'warn');
    const where = source === 'alias' ? `${setAlias} (alias of ${spec.name})` : spec.name;
    if (policy === 'throw') throw new EnvVarError(spec.name, `${where}: ${outcome.message}. ${spec.doc}`);
    if (warn) this.warnSink(`${where}: ${outcome.message}; using the default (${formatEnvValue(spec.default)})`, spec.name);
    return { spec, value: spec.default, source: 'default', raw: value, problem: outcome.message };
  }
}

/** how `plexus env` and messages print a value */
export function formatEnvValue(value: unknown): string {
  if (value === undefined) return '(unset)';
  if (Array.isArray(value)) return value.length ? value.join(',') : '(empty)';
  if (typeof value === 'string') return value === '' ? '(empty)' : value;
  return JSON.stringify(value);
}

function nonEmpty(v: string | undefined): v is string {
  return v !== undefined && v.trim() !== '';
}

function captureEnv(env: RawEnv): Record<string, string | undefined> {
  return { ...env };
}

function mergeRaw(base: RawEnv, overrides: RawEnv): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = { ...base };
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) delete out[k];
    else out[k] = v;
  }
  return out;
}

function sameSpec(a: EnvVarSpec, b: EnvVarSpec): boolean {
  return a.owner === b.owner && a.type === b.type && a.doc === b.doc && JSON.stringify(a.default) === JSON.stringify(b.default) &&
    JSON.stringify(a.choices) === JSON.stringify(b.choices);
}

function validateSpec(spec: EnvVarSpec<EnvType>): void {
  const name = spec?.name;
  if (typeof name !== 'string' || !/^PLEXUS_[A-Z0-9_]+$/.test(name)) {
    throw new EnvVarError(String(name), `variable name '${String(name)}' must match PLEXUS_[A-Z0-9_]+`);
  }
  if (!spec.owner) throw new EnvVarError(name, `${name}: a declaration needs an owner`);
  if (!spec.doc) throw new EnvVarError(name, `${name}: a declaration needs a doc line`);
  const types: EnvType[] = ['bool', 'int', 'float', 'string', 'enum', 'list', 'json'];
  if (!types.includes(spec.type)) throw new EnvVarError(name, `${name}: type must be one of ${types.join(', ')}`);
  if (spec.type === 'enum') {
    if (!spec.choices?.length) throw new EnvVarError(name, `${name}: an enum needs choices`);
    if (spec.default !== undefined && !spec.choices.includes(spec.default as string)) {
      throw new EnvVarError(name, `${name}: the default '${String(spec.default)}' is not one of its choices`);
    }
  }
}
