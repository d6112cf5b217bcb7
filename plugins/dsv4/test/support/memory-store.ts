/** In-memory TensorStores / Checkpoints over existing tensors (views, no copies) for renaming tests. */
import { CheckpointFormatError, type Checkpoint, type Tensor, type TensorStore } from '@plexus/core';

export function memoryStore(tensors: Map<string, Tensor>): TensorStore {
  return {
    names: () => [...tensors.keys()],
    has: (name) => tensors.has(name),
    get(name) {
      const t = tensors.get(name);
      if (!t) throw new CheckpointFormatError('memory', 'no such tensor', name);
      return t;
    },
    get totalBytes() { return [...tensors.values()].reduce((s, t) => s + t.byteLength, 0); },
    close() {},
  };
}

export function memoryCheckpoint(config: Record<string, unknown>, tensors: Map<string, Tensor>): Checkpoint {
  return { dir: '/memory/dsv4', config, architecture: 'DeepseekV4ForCausalLM', tensors: memoryStore(tensors), generation: { eosTokenIds: [] } };
}
