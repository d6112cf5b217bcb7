/**
 * The dsv4 plugin's manifest, read by the loader without importing the plugin: disabling
 * DeepseekV4ForCausalLM (PLEXUS_DISABLED_MODEL_ARCHS) keeps every dsv4 module from being imported.
 */
import type { PluginManifest } from '@plexus/core';

export const DSV4_ARCHITECTURES = ['DeepseekV4ForCausalLM'] as const;
export const DSV4_KV_POOL_ID = 'dsv4.v4-cache';
/** name of the chat encoder, reasoning parser and tool-call parser (--reasoning-parser deepseek_v4) */
export const DSV4_TEXT_PROCESSOR = 'deepseek_v4';
/**
 * op name → its kernel row ids, in resolution order: native AVX2, native portable C++ (what
 * PLEXUS_FORCE_PORTABLE_KERNELS picks) and the TypeScript reference row (last; see src/kernels/)
 */
export const DSV4_KERNEL_ROWS = {
  dsv4SparseAttention: kernelRowIds('dsv4SparseAttention'),
  dsv4IndexerScores: kernelRowIds('dsv4IndexerScores'),
  dsv4CompressWindows: kernelRowIds('dsv4CompressWindows'),
} as const;

function kernelRowIds<Op extends string>(op: Op) {
  return { avx2: `${op}.avx2`, portable: `${op}.portable`, typescript: `${op}.ts.portable` } as const;
}

export const manifest = {
  id: 'dsv4',
  version: '0.1.0',
  coreApi: '^1',
  description: 'DeepSeek-V4 (DeepseekV4ForCausalLM) with its V4 KV pool, sparse-attention / indexer / compressor kernels, chat encoding and reasoning / DSML tool-call parsers',
  provides: {
    architectures: [...DSV4_ARCHITECTURES],
    kvPools: [DSV4_KV_POOL_ID],
    kernels: Object.values(DSV4_KERNEL_ROWS).flatMap((ids) => Object.values(ids)),
    chatEncoders: [DSV4_TEXT_PROCESSOR],
    reasoningParsers: [DSV4_TEXT_PROCESSOR],
    toolCallParsers: [DSV4_TEXT_PROCESSOR],
  },
} satisfies PluginManifest;

export default manifest;
