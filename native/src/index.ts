export * from './tensor.ts';
export type * from './ops.ts';
