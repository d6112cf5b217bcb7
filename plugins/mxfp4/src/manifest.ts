/**
 * The mxfp4 plugin's manifest, read by the loader without importing the plugin. It provides one quant
 * method (MoE experts stored as MXFP4) and the kernel rows its experts run on.
 */
import type { PluginManifest } from '@plexus/core';

export const MXFP4_QUANT_METHOD = 'mxfp4';
export const MXFP4_KERNEL_OPS = ['mxfp4Matmul', 'mxfp4Moe'] as const;

export const manifest = {
  id: 'mxfp4',
  version: '0.1.0',
  coreApi: '^1',
  description: 'MXFP4 MoE experts (DeepSeek-V4 and gpt-oss layouts) with AVX2 and portable kernels',
  provides: {
    quantMethods: [MXFP4_QUANT_METHOD],
    kernels: MXFP4_KERNEL_OPS.flatMap((op) => [`${op}.avx2`, `${op}.portable`]),
  },
} satisfies PluginManifest;

export default manifest;
