/**
 * The plugin manifest: what a plugin is, which core API it targets and what it provides per registry.
 * It is read before (and without) importing the plugin's code, so disabled plugins never run.
 */
import * as v from 'valibot';
import { PluginLoadError } from '../../errors.ts';
import type { ProvidesKind } from '../registries/provider-lookup.ts';

export type PluginProvides = { readonly [K in ProvidesKind]?: readonly string[] };

export interface PluginRequirements {
  /** capability flags the plugin needs (e.g. 'avx2'); missing → the plugin is disabled with that reason */
  readonly nativeFeatures?: readonly string[];
  /** plugin ids that must load first */
  readonly plugins?: readonly string[];
}

export interface PluginManifest {
  /** lowercase id, e.g. 'llama' */
  readonly id: string;
  readonly version: string;
  /** semver range of the core API this plugin is built for, e.g. '^1' */
  readonly coreApi: string;
  readonly description?: string;
  /** every name the plugin registers, per registry (kernels: row ids; env: variable names) */
  readonly provides: PluginProvides;
  readonly requires?: PluginRequirements;
}

const names = v.optional(v.array(v.pipe(v.string(), v.minLength(1))));

const ManifestSchema = v.object({
  id: v.pipe(v.string(), v.regex(/^[a-z0-9][a-z0-9._-]*$/, 'id must be lowercase letters, digits, . _ or -')),
  version: v.pipe(v.string(), v.minLength(1)),
  coreApi: v.pipe(v.string(), v.minLength(1)),
  description: v.optional(v.string()),
  provides: v.object({
    architectures: names,
    quantMethods: names,
    kvPools: names,
    coordinators: names,
    kernels: names,
    env: names,
    chatEncoders: names,
    reasoningParsers: names,
    toolCallParsers: names,
  }),
  requires: v.optional(v.object({ nativeFeatures: names, plugins: names })),
});

/** Validates a manifest read from `where`; throws PluginLoadError saying which field is wrong. */
export function parseManifest(raw: unknown, where: string, fallbackId: string): PluginManifest {
  const result = v.safeParse(ManifestSchema, raw);
  if (!result.success) {
    const problems = result.issues.map((i) => `${v.getDotPath(i) ?? '(manifest)'}: ${i.message}`).join('; ');
    throw new PluginLoadError(fallbackId, `invalid plugin manifest in ${where}: ${problems}`);
  }
  return result.output;
}

export function providedNames(manifest: PluginManifest, kind: ProvidesKind): readonly string[] {
  return manifest.provides[kind] ?? [];
}
