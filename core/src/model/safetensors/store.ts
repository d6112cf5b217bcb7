/**
 * A TensorStore over one or more mmapped safetensors files (a single checkpoint or a sharded set).
 */
import type { Tensor } from '@plexus/native';
import { CheckpointFormatError } from '../../errors.ts';
import type { TensorStore } from '../types.ts';
import type { SafetensorsFile } from './file.ts';

export class MappedTensorStore implements TensorStore {
  readonly totalBytes: number;
  private readonly byName = new Map<string, { tensor: Tensor; file: SafetensorsFile }>();
  private closed = false;

  /** `source` names the checkpoint in errors (the file, or the shard index). Throws if a tensor is in two files. */
  constructor(readonly source: string, private readonly files: readonly SafetensorsFile[]) {
    let total = 0;
    for (const file of files) {
      total += file.dataBytes;
      for (const [name, tensor] of file.tensors) {
        const other = this.byName.get(name);
        if (other) throw new CheckpointFormatError(file.path, `tensor is also stored in ${other.file.path}; each tensor must live in exactly one shard`, name);
        this.byName.set(name, { tensor, file });
      }
    }
    this.totalBytes = total;
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  get(name: string): Tensor {
    if (this.closed) throw new CheckpointFormatError(this.source, 'tensor store is closed; load the checkpoint again', name);
    const found = this.byName.get(name);
    if (!found) throw new CheckpointFormatError(this.source, 'no such tensor in the checkpoint; the checkpoint does not match this model architecture or is incomplete', name);
    return found.tensor;
  }

  /** The file a tensor lives in (for error messages). */
  fileOf(name: string): string | undefined {
    return this.byName.get(name)?.file.path;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const f of this.files) f.close();
  }
}
