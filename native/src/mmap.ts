/**
 * Read-only memory mapping of a file as an external ArrayBuffer: no copy, and the file size is not added
 * to the V8 heap. close() detaches the buffer (views over it become empty) and unmaps; without close()
 * the mapping goes when the buffer is garbage collected. Closing while an async kernel reads the
 * mapping is safe: the unmap waits for the kernel.
 */
import { loadBinding } from './binding.ts';

export interface MappedFile {
  readonly buffer: ArrayBuffer;
  close(): void;
}

export function mapFile(path: string): MappedFile {
  if (typeof path !== 'string' || path.length === 0) throw new TypeError('mapFile: path must be a non-empty string');
  const binding = loadBinding();
  const buffer = binding.mapFile(path);
  return {
    buffer,
    close: () => binding.unmapFile(buffer),
  };
}
