/** The parsed values of every declared PLEXUS_* variable, taken once; readers never parse on their own. */
import { EnvVarError } from '../../errors.ts';
import type { EnvVar, EnvVars, EnvVarSpec } from './env-spec.ts';

export interface EnvEntry {
  readonly spec: EnvVarSpec;
  /** the parsed value (the default when unset or invalid) */
  readonly value: unknown;
  /** where the value came from */
  readonly source: 'default' | 'env' | 'alias';
  /** the raw string that was read, when set */
  readonly raw?: string;
  /** why the raw value was not used, when it was invalid */
  readonly problem?: string;
}

export class EnvSnapshot {
  constructor(private readonly entriesByName: ReadonlyMap<string, EnvEntry>) {}

  get<K extends keyof EnvVars & string>(name: K): EnvVars[K];
  get<V>(variable: EnvVar<V>): V;
  get(nameOrVar: string | EnvVar<unknown>): unknown {
    const name = typeof nameOrVar === 'string' ? nameOrVar : nameOrVar.name;
    const entry = this.entriesByName.get(name);
    if (!entry) {
      throw new EnvVarError(name, `${name} is not a declared variable; declare it (core env or the owning plugin's ctx.env.declare) before reading it`);
    }
    return entry.value;
  }

  has(name: string): boolean {
    return this.entriesByName.has(name);
  }

  entry(name: string): EnvEntry | undefined {
    return this.entriesByName.get(name);
  }

  /** every variable, sorted by name */
  entries(): EnvEntry[] {
    return [...this.entriesByName.values()].sort((a, b) => (a.spec.name < b.spec.name ? -1 : 1));
  }
}
