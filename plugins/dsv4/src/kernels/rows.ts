/**
 * The dsv4 plugin's KernelRegistry rows. Today each op has one TypeScript row (portable, any CPU); they are
 * O(queries × keys × dims) loops that a native AVX2 row (in native/, next to attention.cc) should replace:
 * sparse attention is the hot one (64 heads × 512 dims × (window + top-k) keys per decoded token).
 */
import type { KernelOpName, KernelRow } from '@plexus/core';
import { DSV4_KERNEL_ROWS } from '../manifest.ts';
import { compressWindows } from './compress-windows.ts';
import { indexerScores } from './indexer-scores.ts';
import './kernel-ops.ts';
import { sparseAttention } from './sparse-attention.ts';

export type Dsv4KernelOp = keyof typeof DSV4_KERNEL_ROWS & KernelOpName;

const always = () => true;

export const DSV4_KERNELS: { readonly [Op in Dsv4KernelOp]: KernelRow<Op> } = {
  dsv4SparseAttention: { id: DSV4_KERNEL_ROWS.dsv4SparseAttention, when: always, impl: sparseAttention },
  dsv4IndexerScores: { id: DSV4_KERNEL_ROWS.dsv4IndexerScores, when: always, impl: indexerScores },
  dsv4CompressWindows: { id: DSV4_KERNEL_ROWS.dsv4CompressWindows, when: always, impl: compressWindows },
};
