/**
 * The dsv4 plugin: DeepseekV4ForCausalLM, the V4 KV pool it needs (chosen by the KvPoolRegistry for
 * DeepSeek-V4 configs) and the kernel rows of its own ops. Everything goes through ctx; the MXFP4 experts
 * of real checkpoints come from whichever quant plugin registers a method for them (never imported here).
 */
import type { PluginContext } from '@plexus/core';
import { dsv4KernelRows } from './kernels/rows.ts';
import { DSV4_KV_POOL_PROVIDER } from './kv/kv-pool-provider.ts';
import { DSV4_ARCHITECTURES, DSV4_TEXT_PROCESSOR } from './manifest.ts';
import { createDeepseekV4ChatEncoder, createDeepseekV4ReasoningParser, createDeepseekV4ToolParser } from './text/index.ts';
import { createDsv4Model } from './model/dsv4-model.ts';

export function register(ctx: PluginContext): void {
  // native AVX2 / portable C++ rows first, the TypeScript reference rows last
  for (const { op, row } of dsv4KernelRows()) ctx.kernels.register(op, row);
  ctx.kvPools.register(DSV4_KV_POOL_PROVIDER);
  ctx.models.register({
    architectures: DSV4_ARCHITECTURES,
    load: (checkpoint, { ops, quant, kernels }) => createDsv4Model(checkpoint, { ops, quant, kernels }),
  });
  ctx.text.register('chatEncoder', DSV4_TEXT_PROCESSOR, createDeepseekV4ChatEncoder);
  ctx.text.register('reasoningParser', DSV4_TEXT_PROCESSOR, createDeepseekV4ReasoningParser);
  ctx.text.register('toolCallParser', DSV4_TEXT_PROCESSOR, createDeepseekV4ToolParser);
  // DeepSeek ships V4 checkpoints without a Jinja template: this encoder is their chat format
  ctx.text.setDefaultChatEncoder('DeepseekV4ForCausalLM', DSV4_TEXT_PROCESSOR);
}

export { createDsv4Model } from './model/dsv4-model.ts';
export { parseDsv4Config } from './config/dsv4-config.ts';
export type { Dsv4Config, Dsv4LayerSpec } from './config/dsv4-config.ts';
export { createV4KvPool, isV4KvPool } from './kv/v4-kv-pool.ts';
export type { V4KvPool } from './kv/v4-kv-pool.ts';
export { DSV4_KERNELS, dsv4KernelRows } from './kernels/rows.ts';
