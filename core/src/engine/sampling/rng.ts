/**
 * Counter-based random numbers: draw `index` of stream `seed` is a pure function of the two, so a
 * request's samples do not depend on batch composition, step timing or preemption/recompute.
 */

/** murmur3 finaliser: a bijective 32-bit mix */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** uniform double in [0, 1) with 53 random bits; `seed` may be any safe integer (negative too) */
export function uniformAt(seed: number, index: number): number {
  const lo = seed >>> 0;
  const hi = Math.floor(seed / 4294967296) >>> 0;
  const key = fmix32(fmix32(lo ^ 0x9e3779b9) ^ Math.imul(hi, 0x85ebca6b) ^ 0x7f4a7c15);
  const w1 = fmix32(key ^ Math.imul(index + 1, 0xcc9e2d51));
  const w2 = fmix32(w1 ^ 0x1b873593 ^ Math.imul(index, 0x27d4eb2f));
  return (w1 * 2097152 + (w2 >>> 11)) / 9007199254740992;
}

/** a fresh random seed for requests that did not ask for one */
export function randomSeed(): number {
  return Math.floor(Math.random() * 4294967296);
}
