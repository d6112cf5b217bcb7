/** The public plugin API of @plexus/core: the only module third-party plugins import. */
export * from './errors.ts';
export type * from './model/types.ts';
export type * from './engine/types.ts';
export { Tensor, DTYPE_BYTES } from '@plexus/native';
export type { DType, NativeOps } from '@plexus/native';
