/** Both implementations, so every test runs on the optimized and the portable path. */
import { hasOptimizedKernels, nativeOps, type KernelVariant } from '../src/index.ts';

export const VARIANTS: KernelVariant[] = hasOptimizedKernels() ? ['optimized', 'portable'] : ['portable'];

export const ops = { optimized: () => nativeOps('optimized'), portable: () => nativeOps('portable') };
