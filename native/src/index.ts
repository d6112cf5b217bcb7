export * from './tensor.ts';
export type * from './ops.ts';
export { loadBinding, NativeAddonLoadError, REBUILD_HINT, type NativeBinding } from './binding.ts';
export { capabilities, hasOptimizedKernels, setNumThreads, getNumThreads, type Capabilities } from './capabilities.ts';
export { mapFile, type MappedFile } from './mmap.ts';
export { nativeOps, type KernelVariant } from './native-ops.ts';
export { nativeKernelRows, NATIVE_OP_NAMES, type NativeKernelRow } from './rows.ts';
export { computeRopeInvFreq, type RopeScalingConfig, type RopeFrequencies } from './rope-scaling.ts';
export { quantOps, quantKernelRows, mxfp4Pack, fp8FirstNaN } from './quant-ops.ts';
export type {
  QuantOps, QuantOpName, QuantKernelRow, Fp8MatmulArgs, Fp8ScaleDType, Mxfp4Matrix, Mxfp4MatmulArgs, Mxfp4MoeArgs, Mxfp4PackArgs,
  NibbleOrder, SwigluActivation,
} from './quant-ops.ts';
export { dsv4Ops, hasDsv4Kernels, DSV4_OP_NAMES } from './dsv4-ops.ts';
export type { Dsv4Ops, Dsv4OpName, Dsv4SparseAttentionArgs, Dsv4IndexerScoresArgs, Dsv4CompressWindowsArgs } from './dsv4-ops.ts';
