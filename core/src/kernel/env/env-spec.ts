/** Declarations of PLEXUS_* variables: every variable has an owner (core or a plugin), a type, a default and a doc. */

export type EnvType = 'bool' | 'int' | 'float' | 'string' | 'enum' | 'list' | 'json';

/** The TypeScript type a variable of that kind parses to. */
export type EnvValue<T extends EnvType> = T extends 'bool'
  ? boolean
  : T extends 'int' | 'float'
    ? number
    : T extends 'list'
      ? readonly string[]
      : T extends 'json'
        ? unknown
        : string;

export interface EnvVarSpec<T extends EnvType = EnvType> {
  /** must start with PLEXUS_ */
  readonly name: string;
  /** 'core' or the declaring plugin's id (the plugin context fills it in) */
  readonly owner: string;
  readonly type: T;
  /** value when unset or empty; undefined means "unset" */
  readonly default: EnvValue<T> | undefined;
  readonly doc: string;
  /** allowed values of an enum (matched case-insensitively, returned as written here) */
  readonly choices?: readonly string[];
  /** bounds for int/float */
  readonly min?: number;
  readonly max?: number;
  /** extra validation of a parsed value: a message when invalid */
  check?(value: EnvValue<T>): string | undefined;
  /**
   * what an invalid value does. Default: 'throw' for enums (a policy choice must not be guessed),
   * 'warn' (and use the default) for everything else (tuning knobs).
   */
  readonly onInvalid?: 'warn' | 'throw';
  /** old names still read (with a warning) when this one is unset */
  readonly deprecatedAliases?: readonly string[];
}

/** A typed handle to a declared variable, for `snapshot.get(handle)`. */
export interface EnvVar<V> {
  readonly name: string;
  /** phantom: carries the value type */
  readonly __value?: V;
}

/**
 * Typed names for `snapshot.get('PLEXUS_…')`. Core's variables are listed here; a plugin may add its own
 * by declaration merging on '@plexus/core' (or use the handle `declare` returns).
 */
export interface EnvVars {
  PLEXUS_PLUGINS: readonly string[];
  PLEXUS_DISABLED_PLUGINS: readonly string[];
  PLEXUS_DISABLED_MODEL_ARCHS: readonly string[];
  PLEXUS_LOG_LEVEL: string;
  PLEXUS_NUM_THREADS: number;
  PLEXUS_KERNEL_OVERRIDES: readonly string[];
  PLEXUS_FORCE_PORTABLE_KERNELS: boolean;
}

export const ENV_PREFIX = 'PLEXUS_';

/** Identity helper that infers the value type of a declaration (so `check` and `default` are typed). */
export function defineEnv<T extends EnvType>(spec: EnvVarSpec<T>): EnvVarSpec<T> {
  return spec;
}
