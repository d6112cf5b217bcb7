/**
 * Loads the compiled addon (build/Release/plexus_native.node) on first use. A missing or broken build
 * throws NativeAddonLoadError saying how to rebuild; importing this package never throws by itself, so
 * code that only needs Tensor or the types works without the addon.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Capabilities } from './capabilities.ts';

const ADDON_PATH = fileURLToPath(new URL('../build/Release/plexus_native.node', import.meta.url));

export const REBUILD_HINT = 'Rebuild it with `npm run build:native` (or `npm rebuild @plexus/native`).';

/** The addon is missing, was built for another Node ABI, or is from an older source tree. */
export class NativeAddonLoadError extends Error {
  readonly code = 'native_addon';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NativeAddonLoadError';
  }
}

type Fn = (...args: never[]) => unknown;

/** The raw addon surface (positional, validated in C++). Prefer nativeOps() / mapFile() over this. */
export interface NativeBinding {
  mapFile(path: string): ArrayBuffer;
  unmapFile(buffer: ArrayBuffer): void;
  capabilities(): Capabilities;
  setNumThreads(n: number): void;
  getNumThreads(): number;
  streamReadSum(data: Float32Array): number;
  fmaPeakRun(iterations: number): number;
  [op: string]: Fn;
}

const OPS = ['matmul', 'rmsnorm', 'rope', 'softmax', 'swiglu', 'gelu', 'embedding', 'argmax', 'topk', 'storeKv', 'attention', 'matmulAsync', 'attentionAsync'];
const REQUIRED = ['mapFile', 'unmapFile', 'capabilities', 'setNumThreads', 'getNumThreads', 'streamReadSum', 'fmaPeakRun',
  ...OPS.flatMap((op) => [`${op}_avx2`, `${op}_portable`])];

let cached: NativeBinding | undefined;

export function loadBinding(): NativeBinding {
  if (!cached) {
    const addon = loadBindingFrom(ADDON_PATH);
    applyThreadEnv(addon);
    cached = addon;
  }
  return cached;
}

/** Loads and checks an addon file (exported for tests of the failure messages). */
export function loadBindingFrom(path: string): NativeBinding {
  let addon: NativeBinding;
  try {
    addon = createRequire(import.meta.url)(path) as NativeBinding;
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' ? 'is missing' : 'failed to load';
    throw new NativeAddonLoadError(`@plexus/native: the compiled addon ${path} ${why} (${(err as Error).message.split('\n')[0]}). ${REBUILD_HINT}`, { cause: err });
  }
  const missing = REQUIRED.filter((name) => typeof addon[name] !== 'function');
  if (missing.length > 0) {
    throw new NativeAddonLoadError(`@plexus/native: the compiled addon ${path} is out of date (missing ${missing.join(', ')}). ${REBUILD_HINT}`);
  }
  return addon;
}

/**
 * PLEXUS_NUM_THREADS sizes the addon's pool (default: the usable cores) when the addon is used on its own
 * (benchmarks). The core's env registry owns the variable: it declares 0 = all cores, warns about a bad value
 * and calls setNumThreads itself, so here anything but a positive integer simply keeps the default.
 */
function applyThreadEnv(addon: NativeBinding): void {
  const raw = process.env.PLEXUS_NUM_THREADS;
  if (raw === undefined || !/^\s*\d+\s*$/.test(raw)) return;
  const n = Number(raw);
  if (n >= 1 && n <= 1024 && addon.getNumThreads() !== n) addon.setNumThreads(n);
}
