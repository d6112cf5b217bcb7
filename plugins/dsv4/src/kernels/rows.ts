/**
 * The dsv4 plugin's KernelRegistry rows, per op in resolution order: the native AVX2 row, the native
 * portable C++ row (native-rows.ts) and the TypeScript row — the reference the native rows are tested
 * against, and the fallback where the addon lacks these kernels. Sparse attention is the hot one
 * (64 heads × 512 dims × (window + top-k) keys per decoded token).
 */
import type { KernelOpName, KernelRow } from '@plexus/core';
import { DSV4_KERNEL_ROWS } from '../manifest.ts';
import { compressWindows } from './compress-windows.ts';
import { indexerScores } from './indexer-scores.ts';
import './kernel-ops.ts';
import { nativeRows } from './native-rows.ts';
import { DSV4_KERNEL_OPS, type Dsv4KernelOp } from './op-names.ts';
import { sparseAttention } from './sparse-attention.ts';

export type { Dsv4KernelOp } from './op-names.ts';

/** after every native row */
export const TYPESCRIPT_ROW_PRIORITY = 2000;

const always = () => true;

/** the TypeScript rows */
export const DSV4_KERNELS: { readonly [Op in Dsv4KernelOp]: KernelRow<Op> } = {
  dsv4SparseAttention: { id: DSV4_KERNEL_ROWS.dsv4SparseAttention.typescript, when: always, impl: sparseAttention, priority: TYPESCRIPT_ROW_PRIORITY },
  dsv4IndexerScores: { id: DSV4_KERNEL_ROWS.dsv4IndexerScores.typescript, when: always, impl: indexerScores, priority: TYPESCRIPT_ROW_PRIORITY },
  dsv4CompressWindows: { id: DSV4_KERNEL_ROWS.dsv4CompressWindows.typescript, when: always, impl: compressWindows, priority: TYPESCRIPT_ROW_PRIORITY },
};

export interface Dsv4KernelRegistration {
  readonly op: Dsv4KernelOp;
  readonly row: KernelRow;
}

/** every row of every op (native first, TypeScript last), ready for `kernels.register(op, row)` */
export function dsv4KernelRows(): Dsv4KernelRegistration[] {
  return DSV4_KERNEL_OPS.flatMap((op) => [...nativeRows(op), DSV4_KERNELS[op]].map((row) => ({ op, row: row as unknown as KernelRow<KernelOpName> })));
}
