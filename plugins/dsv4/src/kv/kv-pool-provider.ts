/**
 * KvPoolRegistry entry: DeepSeek-V4 models (by architecture or model_type) get the V4 pool; every other
 * model keeps whatever else matches (the core's paged pool by default).
 */
import type { KvPoolProvider } from '@plexus/core';
import { DSV4_ARCHITECTURES, DSV4_KV_POOL_ID } from '../manifest.ts';
import { createV4KvPool } from './v4-kv-pool.ts';

export function isDsv4ModelConfig(config: Readonly<Record<string, unknown>>): boolean {
  const archs = config['architectures'];
  if (Array.isArray(archs) && archs.some((a) => (DSV4_ARCHITECTURES as readonly unknown[]).includes(a))) return true;
  return config['model_type'] === 'deepseek_v4';
}

export const DSV4_KV_POOL_PROVIDER: KvPoolProvider = {
  id: DSV4_KV_POOL_ID,
  predicate: (modelConfig) => isDsv4ModelConfig(modelConfig),
  create: (request) => createV4KvPool(request),
};
