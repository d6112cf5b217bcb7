/** The DeepSeek-V4 op names (the keys of the manifest's row table, typed as KernelRegistry ops). */
import type { KernelOpName } from '@plexus/core';
import type { DSV4_KERNEL_ROWS } from '../manifest.ts';
import './kernel-ops.ts';

export type Dsv4KernelOp = keyof typeof DSV4_KERNEL_ROWS & KernelOpName;

export const DSV4_KERNEL_OPS: readonly Dsv4KernelOp[] = ['dsv4SparseAttention', 'dsv4IndexerScores', 'dsv4CompressWindows'];
