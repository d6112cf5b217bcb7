/** Seeded random kernel inputs for the dsv4 kernel tests: values centred on zero. */
import { mulberry32 } from '../../../../test/support/seeded-random.ts';

/** floats in [-0.5, 0.5) */
export function rng(seed: number): () => number {
  const next = mulberry32(seed);
  return () => next() - 0.5;
}

export const randoms = (n: number, r: () => number, scale = 2) => Float32Array.from({ length: n }, () => r() * scale);
