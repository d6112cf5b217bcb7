/**
 * The dsv4 plugin's manifest, read by the loader without importing the plugin: disabling
 * DeepseekV4ForCausalLM (PLEXUS_DISABLED_MODEL_ARCHS) keeps every dsv4 module from being imported.
 */
import type { PluginManifest } from '@plexus/core';

export const DSV4_ARCHITECTURES = ['DeepseekV4ForCausalLM'] as const;
export const DSV4_KV_POOL_ID = 'dsv4.v4-cache';
/** name of the chat encoder, reasoning parser and tool-call parser (--reasoning-parser deepseek_v4) */
export const DSV4_TEXT_PROCESSOR = 'deepseek_v4';
/** op name → its TypeScript row (native rows belong in native/ later, see src/kernels/) */
export const DSV4_KERNEL_ROWS = {
  dsv4SparseAttention: 'dsv4SparseAttention.portable',
  dsv4IndexerScores: 'dsv4IndexerScores.portable',
  dsv4CompressWindows: 'dsv4CompressWindows.portable',
} as const;

export const manifest = {
  id: 'dsv4',
  version: '0.1.0',
  coreApi: '^1',
  description: 'DeepSeek-V4 (DeepseekV4ForCausalLM) with its V4 KV pool, sparse-attention / indexer / compressor kernels, chat encoding and reasoning / DSML tool-call parsers',
  provides: {
    architectures: [...DSV4_ARCHITECTURES],
    kvPools: [DSV4_KV_POOL_ID],
    kernels: Object.values(DSV4_KERNEL_ROWS),
    chatEncoders: [DSV4_TEXT_PROCESSOR],
    reasoningParsers: [DSV4_TEXT_PROCESSOR],
    toolCallParsers: [DSV4_TEXT_PROCESSOR],
  },
} satisfies PluginManifest;

export default manifest;
