/**
 * Registers the core's quant pieces: the fp8-block wrapper in the QuantMethodRegistry and the native
 * fp8Matmul rows (avx2, portable) in the KernelRegistry. The runtime may call registerCoreQuant once at
 * startup; createLinear / createMoe call ensureCoreQuant, which registers whatever is still missing, so
 * model plugins work either way. Registering again is a no-op.
 */
import { quantKernelRows } from '@plexus/native';
import type { KernelRegistry, KernelRow } from '../kernel/registries/kernel-registry.ts';
import type { QuantMethodRegistry } from '../kernel/registries/quant-method-registry.ts';
import { disposeAll, onceOnly, type Disposer } from '../kernel/registries/registration.ts';
import { FP8_BLOCK_WRAPPER } from './fp8-block-linear.ts';
import './kernel-ops.ts';

/** created once so that registering them twice is recognised as the same registration */
const FP8_ROWS: ReadonlyArray<KernelRow<'fp8Matmul'>> = quantKernelRows(['fp8Matmul']).map((r) => ({
  id: r.id,
  when: r.when,
  impl: r.impl,
  ...(r.priority !== undefined ? { priority: r.priority } : {}),
}));

export interface CoreQuantRegistries {
  readonly quant: QuantMethodRegistry;
  readonly kernels?: KernelRegistry;
}

export function registerCoreQuant(reg: CoreQuantRegistries): Disposer {
  const done: Disposer[] = [];
  try {
    done.push(reg.quant.register(FP8_BLOCK_WRAPPER, 'core'));
    if (reg.kernels) for (const row of FP8_ROWS) done.push(reg.kernels.register('fp8Matmul', row, 'core'));
  } catch (e) {
    disposeAll(done);
    throw e;
  }
  return onceOnly(() => disposeAll(done));
}

/** Registers the pieces not registered yet (by anyone: a runtime may provide its own fp8Matmul rows). */
export function ensureCoreQuant(reg: CoreQuantRegistries): void {
  if (!reg.quant.ids().includes(FP8_BLOCK_WRAPPER.id)) reg.quant.register(FP8_BLOCK_WRAPPER, 'core');
  if (reg.kernels && reg.kernels.rows('fp8Matmul').length === 0) {
    for (const row of FP8_ROWS) reg.kernels.register('fp8Matmul', row, 'core');
  }
}
