import { describe, expect, it } from 'vitest';
import { BlockAllocator } from '../../src/engine/block-allocator.ts';
import { RadixCache } from '../../src/engine/radix-cache.ts';

const BS = 4;
const seqOf = (n: number, offset = 0) => Array.from({ length: n }, (_, i) => i + offset);

/** a request that fills `tokens.length` tokens of KV and caches its full blocks */
function fill(alloc: BlockAllocator, cache: RadixCache, tokens: number[]) {
  const m = cache.match(tokens, tokens.length - 1);
  m.blocks.forEach((b) => alloc.retain(b));
  const table = [...m.blocks, ...alloc.allocate(alloc.blocksNeeded(m.blocks.length, tokens.length))];
  const cursor = cache.insert(m.cursor, tokens, table, Math.floor(tokens.length / BS));
  return { match: m, table, cursor, release: () => table.forEach((b) => alloc.release(b)) };
}

describe('RadixCache', () => {
  it('matches the longest cached prefix in whole blocks', () => {
    const alloc = new BlockAllocator(16, BS);
    const cache = new RadixCache(alloc, true);
    const a = fill(alloc, cache, seqOf(10)); // 2 full blocks cached
    a.release();
    const m = cache.match([...seqOf(9), 99, 98], 100);
    expect(m.tokens).toBe(8);
    expect(m.blocks).toEqual(a.table.slice(0, 2));
    // diverging inside the second block: only the first block matches
    expect(cache.match([0, 1, 2, 3, 4, 5, 77, 7, 8], 100).tokens).toBe(4);
    // maxTokens caps the match (a request must compute at least its last token)
    expect(cache.match(seqOf(8), 7).tokens).toBe(4);
    expect(cache.match([5, 5, 5, 5, 5], 100).tokens).toBe(0);
  });

  it('counts queries and hit tokens, and not when asked not to record', () => {
    const alloc = new BlockAllocator(16, BS);
    const cache = new RadixCache(alloc, true);
    fill(alloc, cache, seqOf(9)).release();
    cache.match(seqOf(9), 8);
    cache.match(seqOf(9), 8, false);
    // fill's own lookup + one recorded lookup
    expect(cache.counters).toEqual({ queries: 2, queryTokens: 18, hitTokens: 8 });
  });

  it('shares identical blocks: a second writer switches to the cached copy and frees its own', () => {
    const alloc = new BlockAllocator(16, BS);
    const cache = new RadixCache(alloc, true);
    // both compute the same prefix before either is cached (admitted in the same step)
    const t1 = alloc.allocate(2);
    const t2 = alloc.allocate(2);
    const own2 = [...t2];
    cache.insert(cache.emptyCursor(), seqOf(8), t1, 2);
    cache.insert(cache.emptyCursor(), seqOf(8), t2, 2);
    expect(t2).toEqual(t1);
    for (const b of own2) expect(alloc.refCount(b)).toBe(0);
    for (const b of t1) expect(alloc.refCount(b)).toBe(3); // two requests + the cache
    expect(cache.cachedBlocks).toBe(2);
  });

  it('evicts least recently used leaves first and never a block a request uses', () => {
    const alloc = new BlockAllocator(8, BS);
    const cache = new RadixCache(alloc, true);
    const a = fill(alloc, cache, seqOf(8, 100)); // 2 blocks
    const b = fill(alloc, cache, seqOf(8, 200)); // 2 blocks
    const c = fill(alloc, cache, seqOf(8, 300)); // 2 blocks, stays in use
    a.release();
    b.release();
    cache.match(seqOf(8, 100), 8, false); // touch a: b is now least recently used
    expect(alloc.reclaimableBlocks).toBe(4);
    expect(cache.reclaim(2)).toBe(2);
    expect(cache.match(seqOf(8, 200), 8, false).tokens).toBe(0);
    expect(cache.match(seqOf(8, 100), 8, false).tokens).toBe(8);
    // asking for more than is reclaimable frees only what no request uses
    expect(cache.reclaim(10)).toBe(2);
    expect(cache.match(seqOf(8, 300), 8, false).tokens).toBe(8);
    for (const blk of c.table) expect(alloc.refCount(blk)).toBe(2);
  });

  it('evicts a parent only after its children are gone', () => {
    const alloc = new BlockAllocator(8, BS);
    const cache = new RadixCache(alloc, true);
    fill(alloc, cache, seqOf(12)).release(); // chain of 3 blocks
    expect(cache.reclaim(1)).toBe(1);
    expect(cache.match(seqOf(12), 12, false).tokens).toBe(8); // the leaf went, the prefix stayed
    expect(cache.reclaim(2)).toBe(2);
    expect(cache.cachedBlocks).toBe(0);
    expect(alloc.freeBlocks).toBe(8);
  });

  it('keeps the reclaimable count equal to what reclaim can free under shared prefixes', () => {
    const alloc = new BlockAllocator(32, BS);
    const cache = new RadixCache(alloc, true);
    const stem = seqOf(8);
    const reqs = [1, 2, 3].map((k) => fill(alloc, cache, [...stem, ...seqOf(8, 10 * k)]));
    reqs[0]!.release();
    reqs[2]!.release();
    // stem blocks are still used by request 1; its own tail too
    expect(alloc.reclaimableBlocks).toBe(4);
    expect(cache.reclaim(100)).toBe(4);
    expect(alloc.reclaimableBlocks).toBe(0);
    reqs[1]!.release();
    expect(alloc.reclaimableBlocks).toBe(4);
    expect(cache.reclaim(100)).toBe(4);
    expect(alloc.freeBlocks).toBe(32);
  });

  it('does nothing when disabled (--disable-radix-cache)', () => {
    const alloc = new BlockAllocator(8, BS);
    const cache = new RadixCache(alloc, false);
    const r = fill(alloc, cache, seqOf(8));
    r.release();
    expect(cache.match(seqOf(8), 8).tokens).toBe(0);
    expect(cache.cachedBlocks).toBe(0);
    expect(alloc.freeBlocks).toBe(8);
  });
});
