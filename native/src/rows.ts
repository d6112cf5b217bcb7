/**
 * Kernel rows for the core's KernelRegistry: every NativeOps op twice, '<op>.avx2' (needs avx2, fma and
 * f16c) and '<op>.portable' (always usable). The registry picks the first row whose `when` holds, so the
 * optimized row comes first; forcing the portable one is the registry's env override.
 */
import { hasOptimizedKernels, type Capabilities } from './capabilities.ts';
import { nativeOps } from './native-ops.ts';
import type { NativeOps } from './ops.ts';

export interface NativeKernelRow {
  op: keyof NativeOps;
  id: string;
  when(caps: Capabilities, shape?: unknown): boolean;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  impl: Function;
}

export const NATIVE_OP_NAMES: readonly (keyof NativeOps)[] = [
  'matmul', 'matmulAsync', 'rmsnorm', 'rope', 'softmax', 'swiglu', 'gelu', 'embedding', 'argmax', 'topk',
  'storeKv', 'attention', 'attentionAsync',
];

export function nativeKernelRows(): NativeKernelRow[] {
  const optimized = nativeOps('optimized');
  const portable = nativeOps('portable');
  const rows: NativeKernelRow[] = [];
  for (const op of NATIVE_OP_NAMES) {
    rows.push({ op, id: `${op}.avx2`, when: (caps) => hasOptimizedKernels(caps), impl: optimized[op] });
    rows.push({ op, id: `${op}.portable`, when: () => true, impl: portable[op] });
  }
  return rows;
}
