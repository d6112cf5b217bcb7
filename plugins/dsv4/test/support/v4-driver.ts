/** The shared direct test driver (test/support/kv-driver.ts) for a DeepSeek-V4 CausalLM over its V4 pool. */
import type { CausalLM } from '@plexus/core';
import { createV4KvPool } from '../../src/kv/v4-kv-pool.ts';
import { KvDriver, type PoolFactory } from '../../../../test/support/kv-driver.ts';

export type { DriverSequence, PoolFactory } from '../../../../test/support/kv-driver.ts';

export class V4Driver extends KvDriver {
  /** createPool: how the pool is made (default: the V4 pool directly; the runtime's KvPoolRegistry in integration tests) */
  constructor(model: CausalLM, numBlocks: number, blockSize = 16, createPool: PoolFactory = createV4KvPool) {
    super(model, numBlocks, blockSize, createPool, 'V4Driver');
  }
}
