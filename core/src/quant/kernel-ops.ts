/**
 * Adds the native quantized ops (fp8Matmul, mxfp4Matmul, mxfp4Moe) to the KernelRegistry's op table, so
 * rows for them can be registered and `ops.fp8Matmul(...)` is typed. Types only: nothing runs here.
 */
import type { QuantOps } from '@plexus/native';

declare module '../kernel/registries/kernel-registry.ts' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface KernelOps extends QuantOps {}
}

export {};
