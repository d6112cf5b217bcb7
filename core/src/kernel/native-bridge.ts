/**
 * The kernel's link to @plexus/native: capabilities, kernel rows and the thread count. Every call into the
 * addon sits in an error boundary, so a missing or broken build degrades to "no native rows" (recorded and
 * explained, e.g. by `plexus kernels`) instead of taking the core down.
 */
import os from 'node:os';
import {
  capabilities as nativeCapabilities,
  nativeKernelRows,
  setNumThreads as nativeSetNumThreads,
  type Capabilities as NativeCapabilities,
} from '@plexus/native';
import type { Capabilities, KernelOpName, KernelRow } from './registries/kernel-registry.ts';

export interface NativeBridge {
  readonly capabilities: Capabilities;
  readonly rows: ReadonlyArray<{ op: KernelOpName; row: KernelRow }>;
  /** set the native thread pool size; absent when the addon did not load */
  readonly setNumThreads?: (n: number) => void;
  /** why native kernels are unavailable, when they are */
  readonly error?: Error;
}

/** portable rows come after every optimized or plugin row of the same op */
const PORTABLE_PRIORITY = 1000;

/** what the machine offers when the addon cannot tell */
export function fallbackCapabilities(): Capabilities {
  return { arch: process.arch, cores: os.availableParallelism() };
}

export function loadNativeBridge(): NativeBridge {
  try {
    const caps = nativeCapabilities();
    const rows = nativeKernelRows().map((r) => {
      const portable = r.id.endsWith('.portable');
      const when = (c: Capabilities) => r.when(c as NativeCapabilities) === true;
      const row: KernelRow = {
        id: r.id,
        when,
        impl: r.impl as KernelRow['impl'],
        // native `when` is a pure CPU-feature check: an `on` override must not force instructions the CPU lacks
        ...(portable ? { priority: PORTABLE_PRIORITY } : { requires: when }),
      };
      return { op: r.op as KernelOpName, row };
    });
    return { capabilities: { ...caps }, rows, setNumThreads: nativeSetNumThreads };
  } catch (e) {
    return { capabilities: fallbackCapabilities(), rows: [], error: e instanceof Error ? e : new Error(String(e)) };
  }
}
