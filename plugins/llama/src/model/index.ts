/** The dense Llama-family model code: what the plugin's register() glue and the benchmarks use. */
export { createDenseModel, type DenseModelOptions } from './dense-model.ts';
export { parseDenseConfig, DENSE_ARCHITECTURES, type DenseArchitecture, type DenseConfig } from './config/dense-config.ts';
export type { RopeConfig, RopeType } from './config/rope-config.ts';
