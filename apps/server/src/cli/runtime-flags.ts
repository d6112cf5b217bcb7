/** Flags every runtime-building command shares (--plugin, --strict-env) and how they become createPlexus options. */
import { createPlexus, type Plexus, type PlexusOptions } from '@plexus/core';
import type { FlagSpec } from './parse-flags.ts';
import { SERVER_ENV } from './server-env.ts';

export const RUNTIME_FLAGS = {
  plugin: { type: 'string', multiple: true },
  'strict-env': { type: 'boolean', default: false },
} as const satisfies FlagSpec;

export const RUNTIME_USAGE = '[--plugin <package|path>]... [--strict-env]';

export interface RuntimeFlagValues {
  plugin?: string[] | undefined;
  'strict-env'?: boolean | undefined;
}

/** every command's runtime declares the server's variables too, so `plexus env` lists them and none warns */
export function runtimeOptions(values: RuntimeFlagValues, extra: PlexusOptions = {}): PlexusOptions {
  return { plugins: values.plugin ?? [], strictEnv: values['strict-env'] ?? false, envDeclarations: SERVER_ENV, ...extra };
}

export function buildRuntime(values: RuntimeFlagValues, extra: PlexusOptions = {}): Promise<Plexus> {
  return createPlexus(runtimeOptions(values, extra));
}
