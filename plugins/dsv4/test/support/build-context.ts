/**
 * What a model provider receives from the runtime (ops bound through a KernelRegistry, a QuantMethodRegistry),
 * built directly for tests: native rows of one variant plus the dsv4 plugin's own rows.
 */
import { KernelRegistry, QuantMethodRegistry, type KernelOps } from '@plexus/core';
import { capabilities, nativeKernelRows, type KernelVariant } from '@plexus/native';
import { DSV4_KERNELS } from '../../src/kernels/rows.ts';

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
  kernels.register('dsv4SparseAttention', DSV4_KERNELS.dsv4SparseAttention, 'dsv4');
  kernels.register('dsv4IndexerScores', DSV4_KERNELS.dsv4IndexerScores, 'dsv4');
  kernels.register('dsv4CompressWindows', DSV4_KERNELS.dsv4CompressWindows, 'dsv4');
  return { ops: kernels.bindOps(), quant: new QuantMethodRegistry(), kernels };
}
