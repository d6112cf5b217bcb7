/** The shared direct test driver (test/support/kv-driver.ts) over the core's default paged KV pool. */
import type { CausalLM } from '@plexus/core';
import { createDefaultKvPool } from '../../../../core/src/engine/kv-pool.ts';
import { KvDriver } from '../../../../test/support/kv-driver.ts';

export type { DriverSequence } from '../../../../test/support/kv-driver.ts';

export class PagedDriver extends KvDriver {
  constructor(model: CausalLM, numBlocks: number, blockSize = 16) {
    super(model, numBlocks, blockSize, createDefaultKvPool, 'PagedDriver');
  }
}
