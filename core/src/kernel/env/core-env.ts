/** The PLEXUS_* variables the core owns. Plugins declare theirs through ctx.env.declare. */
import { KERNEL_OVERRIDES, type KernelOverride } from '../registries/kernel-registry.ts';
import { LOG_LEVELS } from '../log.ts';
import type { EnvRegistry } from './env-registry.ts';
import { defineEnv, type EnvVarSpec } from './env-spec.ts';

export const CORE_ENV: readonly EnvVarSpec[] = [
  {
    name: 'PLEXUS_PLUGINS', owner: 'core', type: 'list', default: [],
    doc: 'Extra plugins to load, comma-separated: package names or paths to plugin directories (added to the bundled ones and --plugin).',
  },
  {
    name: 'PLEXUS_DISABLED_PLUGINS', owner: 'core', type: 'list', default: [],
    doc: 'Plugin ids not to load, comma-separated. Their code is never imported.',
  },
  {
    name: 'PLEXUS_DISABLED_MODEL_ARCHS', owner: 'core', type: 'list', default: [],
    doc: 'HF architecture names to refuse, comma-separated (e.g. LlamaForCausalLM). A plugin whose architectures are all disabled is never imported.',
  },
  {
    name: 'PLEXUS_LOG_LEVEL', owner: 'core', type: 'enum', default: 'info', choices: LOG_LEVELS,
    doc: 'Log level: trace, debug, info, warn, error, fatal or silent.',
  },
  {
    name: 'PLEXUS_NUM_THREADS', owner: 'core', type: 'int', default: 0, min: 0,
    doc: 'Compute threads of the native kernels; 0 = all cores.',
  },
  defineEnv({
    name: 'PLEXUS_KERNEL_OVERRIDES', owner: 'core', type: 'list', default: [], onInvalid: 'throw',
    check: (items) => items.map(checkOverrideItem).find((m) => m !== undefined),
    doc: 'Per kernel row overrides, comma-separated rowId=auto|on|off (e.g. matmul.avx2=off). on forces a row, off excludes it; see `plexus kernels`.',
  }),
  {
    name: 'PLEXUS_FORCE_PORTABLE_KERNELS', owner: 'core', type: 'bool', default: false,
    doc: 'Use only portable kernel rows (ids ending in .portable); a row with its own PLEXUS_KERNEL_OVERRIDES entry keeps it.',
  },
];

export function declareCoreEnv(env: EnvRegistry): void {
  for (const spec of CORE_ENV) env.declare(spec);
}

/** PLEXUS_KERNEL_OVERRIDES items → rowId → override (items are validated at parse time) */
export function kernelOverridesFrom(items: readonly string[]): Map<string, KernelOverride> {
  const map = new Map<string, KernelOverride>();
  for (const item of items) {
    const at = item.lastIndexOf('=');
    map.set(item.slice(0, at).trim(), item.slice(at + 1).trim().toLowerCase() as KernelOverride);
  }
  return map;
}

function checkOverrideItem(item: string): string | undefined {
  const at = item.lastIndexOf('=');
  const id = at > 0 ? item.slice(0, at).trim() : '';
  const mode = at > 0 ? item.slice(at + 1).trim().toLowerCase() : '';
  if (!id || !(KERNEL_OVERRIDES as readonly string[]).includes(mode)) {
    return `'${item}' is not rowId=auto|on|off`;
  }
  return undefined;
}
