/** In-memory DSV4 Checkpoints over existing tensors (views, no copies) for renaming tests. */
import type { Checkpoint, Tensor } from '@plexus/core';
import { memoryCheckpoint as sharedMemoryCheckpoint } from '../../../../test/support/memory-store.ts';

export function memoryCheckpoint(config: Record<string, unknown>, tensors: Map<string, Tensor>): Checkpoint {
  return sharedMemoryCheckpoint('/memory/dsv4', 'DeepseekV4ForCausalLM', config, tensors);
}
