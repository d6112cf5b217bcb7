/**
 * What a model provider receives from the runtime (ops bound through a KernelRegistry, a QuantMethodRegistry),
 * built directly for tests: native rows of one variant plus the dsv4 plugin's own rows (native and TypeScript).
 */
import { KernelRegistry, QuantMethodRegistry, type KernelOps } from '@plexus/core';
import { capabilities, nativeKernelRows, type KernelVariant } from '@plexus/native';
import { dsv4KernelRows } from '../../src/kernels/rows.ts';

export interface TestBuildContext {
  readonly ops: KernelOps;
  readonly quant: QuantMethodRegistry;
  readonly kernels: KernelRegistry;
}

export function testBuildContext(variant: KernelVariant = 'optimized'): TestBuildContext {
  const kernels = new KernelRegistry({ capabilities: capabilities() });
  for (const row of nativeKernelRows()) {
    if (variant === 'portable' && !row.id.endsWith('.portable')) continue;
    kernels.register(row.op, row as never, 'native');
  }
  // the plugin's rows by priority (native first); 'portable' keeps what PLEXUS_FORCE_PORTABLE_KERNELS keeps
  for (const { op, row } of dsv4KernelRows()) {
    if (variant === 'portable' && !row.id.endsWith('.portable')) continue;
    kernels.register(op, row, 'dsv4');
  }
  return { ops: kernels.bindOps(), quant: new QuantMethodRegistry(), kernels };
}
