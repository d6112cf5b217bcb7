/** Small seeded PRNG (mulberry32) so property tests are reproducible. */
import { mulberry32 } from '../../../../test/support/seeded-random.ts';

export function prng(seed: number): { next: () => number; int: (n: number) => number; pick: <T>(xs: readonly T[]) => T } {
  const next = mulberry32(seed);
  const int = (n: number) => Math.floor(next() * n);
  return { next, int, pick: (xs) => xs[int(xs.length)]! };
}
