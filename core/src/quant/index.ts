/** Standard quant methods of the core (unquantized, fp8-block) and the Linear abstraction model plugins build on. */
export { createLinear } from './create-linear.ts';
export type { Linear, LinearLayer, LinearMethod, LinearOptions, QuantBuildContext } from './linear.ts';
export { UNQUANTIZED_LINEAR, UNQUANTIZED_METHOD_ID } from './unquantized-linear.ts';
export { FP8_BLOCK_WRAPPER, FP8_BLOCK_METHOD_ID, FP8_SCALE_SUFFIXES } from './fp8-block-linear.ts';
export type { Fp8BlockContext } from './fp8-block-linear.ts';
export { registerCoreQuant, ensureCoreQuant } from './core-quant-methods.ts';
export type { CoreQuantRegistries } from './core-quant-methods.ts';
export { quantConfigOf, fp8BlockSize, DEFAULT_FP8_BLOCK } from './quant-config.ts';
