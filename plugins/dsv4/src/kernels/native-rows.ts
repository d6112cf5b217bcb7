/**
 * The native rows of the DeepSeek-V4 ops (C++ in native/csrc/ops/dsv4_*.cc, same semantics as the
 * TypeScript rows): '<op>.avx2' where the CPU has avx2, fma and f16c, '<op>.portable' (plain C++) anywhere.
 * Registering them never loads the addon: each impl binds on its first call, and `requires` leaves a row out
 * (the TypeScript row runs instead, and `plexus kernels` says why) when the addon is missing or predates them.
 */
import type { Capabilities, KernelRow } from '@plexus/core';
import { dsv4Ops, hasDsv4Kernels, type KernelVariant } from '@plexus/native';
import { DSV4_KERNEL_ROWS } from '../manifest.ts';
import type { Dsv4KernelOp } from './op-names.ts';
import './kernel-ops.ts';

/** after the core's optimized rows (100) like every native portable row, before the TypeScript rows */
export const NATIVE_PORTABLE_PRIORITY = 1000;

let available: boolean | undefined;
const addonHasDsv4 = (): boolean => (available ??= hasDsv4Kernels());
const optimizedCpu = (caps: Capabilities): boolean => Boolean(caps.avx2 && caps.fma && caps.f16c);

function lazyImpl<Op extends Dsv4KernelOp>(op: Op, variant: KernelVariant): KernelRow<Op>['impl'] {
  let bound: ((a: never) => void) | undefined;
  return ((a: never) => {
    bound ??= dsv4Ops(variant)[op] as (a: never) => void;
    bound(a);
  }) as unknown as KernelRow<Op>['impl'];
}

export function nativeRows<Op extends Dsv4KernelOp>(op: Op): [KernelRow<Op>, KernelRow<Op>] {
  const ids = DSV4_KERNEL_ROWS[op];
  return [
    { id: ids.avx2, when: optimizedCpu, requires: (caps) => optimizedCpu(caps) && addonHasDsv4(), impl: lazyImpl(op, 'optimized') },
    { id: ids.portable, when: () => true, requires: addonHasDsv4, impl: lazyImpl(op, 'portable'), priority: NATIVE_PORTABLE_PRIORITY },
  ];
}
