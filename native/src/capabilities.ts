/** CPU features and thread-pool size, as detected by the addon at run time. */
import { loadBinding } from './binding.ts';

export interface Capabilities {
  arch: string;
  avx2: boolean;
  fma: boolean;
  f16c: boolean;
  avx512f: boolean;
  avx512bf16: boolean;
  avx512vnni: boolean;
  neon: boolean;
  /** usable cores (CPU affinity), the default pool size */
  cores: number;
}

export function capabilities(): Capabilities {
  return loadBinding().capabilities();
}

/** True when the optimized (AVX2/FMA/F16C) kernels can run here. */
export function hasOptimizedKernels(caps: Capabilities = capabilities()): boolean {
  return caps.avx2 && caps.fma && caps.f16c;
}

/** Resizes the addon's pool (process-wide, shared by every worker thread). */
export function setNumThreads(n: number): void {
  loadBinding().setNumThreads(n);
}

export function getNumThreads(): number {
  return loadBinding().getNumThreads();
}
