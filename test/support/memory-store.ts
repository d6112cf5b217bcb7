/** Shared test support: in-memory TensorStores and Checkpoints over existing tensors (no files, no copies). */
import { CheckpointFormatError } from '../../core/src/errors.ts';
import type { Checkpoint, TensorStore } from '../../core/src/model/types.ts';
import type { Tensor } from '@plexus/native';

export function memoryTensorStore(tensors: Map<string, Tensor>): TensorStore {
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

export function memoryCheckpoint(dir: string, architecture: string, config: Record<string, unknown>, tensors: Map<string, Tensor>): Checkpoint {
  return { dir, config, architecture, tensors: memoryTensorStore(tensors), generation: { eosTokenIds: [] } };
}
