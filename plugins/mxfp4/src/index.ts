/**
 * The mxfp4 plugin: MXFP4 MoE experts. It registers its quant wrapper and its kernel rows through ctx;
 * registering touches neither the native addon nor any model code.
 */
import type { PluginContext } from '@plexus/core';
import { quantKernelRows } from '@plexus/native';
import { MXFP4_KERNEL_OPS } from './manifest.ts';
import { MXFP4_MOE_WRAPPER } from './moe-wrapper.ts';

export function register(ctx: PluginContext): void {
  ctx.quantMethods.register(MXFP4_MOE_WRAPPER);
  for (const row of quantKernelRows(MXFP4_KERNEL_OPS)) {
    ctx.kernels.register(row.op, { id: row.id, when: row.when, impl: row.impl, ...(row.priority !== undefined ? { priority: row.priority } : {}) });
  }
}

export { MXFP4_MOE_WRAPPER } from './moe-wrapper.ts';
export { packExperts, detectLayout } from './expert-layouts.ts';
