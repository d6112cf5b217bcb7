import { describe, expect, it } from 'vitest';
import { BlockAllocator } from '../../src/engine/block-allocator.ts';
import { RadixCache } from '../../src/engine/radix-cache.ts';
import { CapacityError } from '../../src/errors.ts';
import { testRng } from './fake-model.ts';

describe('BlockAllocator', () => {
  it('hands out distinct blocks and takes them back', () => {
    const a = new BlockAllocator(4, 8);
    const got = a.allocate(3);
    expect(new Set(got).size).toBe(3);
    expect(a.freeBlocks).toBe(1);
    expect(a.usedBlocks).toBe(3);
    for (const b of got) a.release(b);
    expect(a.freeBlocks).toBe(4);
    expect(a.usedBlocks).toBe(0);
  });

  it('counts blocks per token range with the same function admission uses', () => {
    const a = new BlockAllocator(10, 16);
    expect(a.blocksForTokens(0)).toBe(0);
    expect(a.blocksForTokens(1)).toBe(1);
    expect(a.blocksForTokens(16)).toBe(1);
    expect(a.blocksForTokens(17)).toBe(2);
    expect(a.blocksNeeded(1, 16)).toBe(0);
    expect(a.blocksNeeded(1, 17)).toBe(1);
    expect(a.blocksNeeded(3, 17)).toBe(0);
  });

  it('refuses to over-allocate with a CapacityError and keeps its state', () => {
    const a = new BlockAllocator(2, 4);
    expect(a.canAllocate(3)).toBe(false);
    expect(() => a.allocate(3)).toThrow(CapacityError);
    expect(a.freeBlocks).toBe(2);
  });

  it('keeps a shared block until its last reference goes', () => {
    const a = new BlockAllocator(2, 4);
    const [b] = a.allocate(1);
    a.retain(b!);
    a.release(b!);
    expect(a.freeBlocks).toBe(1);
    a.release(b!);
    expect(a.freeBlocks).toBe(2);
    expect(() => a.release(b!)).toThrow(/double release/);
    expect(() => a.retain(b!)).toThrow(/free block/);
    expect(() => a.release(99)).toThrow(RangeError);
  });

  it('counts cache-only blocks as available and reclaims them on demand', () => {
    const a = new BlockAllocator(3, 4);
    const cache = new RadixCache(a, true);
    const table = a.allocate(2);
    cache.insert(cache.emptyCursor(), [1, 2, 3, 4, 5, 6, 7, 8], table, 2);
    expect(a.reclaimableBlocks).toBe(0); // the request still uses them
    for (const b of table) a.release(b);
    expect(a.reclaimableBlocks).toBe(2);
    expect(a.availableBlocks).toBe(3);
    expect(a.canAllocate(3)).toBe(true);
    expect(a.allocate(3)).toHaveLength(3);
    expect(cache.cachedBlocks).toBe(0);
  });
});

/**
 * Property: for random request mixes and step sizes, whenever the accounting says a request can grow
 * by n blocks, allocate(n) returns exactly n fresh blocks; whenever it says no, allocate throws.
 * Radix sharing, dedupe on insert, preemption and eviction are all exercised.
 */
const outcomes = { granted: 0, refused: 0, evictions: 0 };

describe('allocator accounting property', () => {
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    it(`predicted == allocated (seed ${seed})`, () => {
      const rnd = testRng(seed);
      const blockSize = 1 + Math.floor(rnd() * 6);
      const numBlocks = 4 + Math.floor(rnd() * 40);
      const alloc = new BlockAllocator(numBlocks, blockSize);
      const cache = new RadixCache(alloc, rnd() < 0.8);
      // a few shared prefixes so the cache gets hits
      const stems = Array.from({ length: 3 }, () => Array.from({ length: 3 * blockSize }, () => Math.floor(rnd() * 5)));
      type Req = { tokens: number[]; table: number[]; kvLen: number; cursor: ReturnType<RadixCache['emptyCursor']> };
      const live: Req[] = [];
      for (let op = 0; op < 600; op++) {
        const r = rnd();
        if (r < 0.35) {
          // admit: match, retain, check, allocate
          const stem = stems[Math.floor(rnd() * stems.length)]!;
          const tokens = [...stem.slice(0, Math.floor(rnd() * stem.length)), ...Array.from({ length: 1 + Math.floor(rnd() * 3 * blockSize) }, () => Math.floor(rnd() * 5))];
          const m = cache.match(tokens, tokens.length - 1);
          for (const b of m.blocks) alloc.retain(b);
          const chunk = 1 + Math.floor(rnd() * (tokens.length - m.tokens));
          const need = alloc.blocksNeeded(m.blocks.length, m.tokens + chunk);
          expectPredictionHolds(alloc, need, (got) => {
            live.push({ tokens, table: [...m.blocks, ...got], kvLen: m.tokens + chunk, cursor: m.cursor });
          }, () => m.blocks.forEach((b) => alloc.release(b)));
        } else if (r < 0.7 && live.length > 0) {
          // grow a running request by a random step
          const q = live[Math.floor(rnd() * live.length)]!;
          const step = 1 + Math.floor(rnd() * 2 * blockSize);
          while (q.tokens.length < q.kvLen + step) q.tokens.push(Math.floor(rnd() * 5));
          const need = alloc.blocksNeeded(q.table.length, q.kvLen + step);
          expectPredictionHolds(alloc, need, (got) => {
            q.table.push(...got);
            q.kvLen += step;
            q.cursor = cache.insert(q.cursor, q.tokens, q.table, Math.floor(q.kvLen / blockSize));
          }, () => {});
        } else if (live.length > 0) {
          // finish or preempt: release everything
          const i = Math.floor(rnd() * live.length);
          const [q] = live.splice(i, 1);
          q!.cursor = cache.insert(q!.cursor, q!.tokens, q!.table, Math.floor(q!.kvLen / blockSize));
          for (const b of q!.table) alloc.release(b);
        }
        // bookkeeping invariant: every block is free, cache-only or used by a live request
        const heldByRequests = new Set(live.flatMap((q) => q.table));
        expect(alloc.usedBlocks).toBe(heldByRequests.size);
        expect(alloc.freeBlocks + alloc.reclaimableBlocks + alloc.usedBlocks).toBe(numBlocks);
        for (const q of live) expect(q.table.length).toBe(alloc.blocksForTokens(q.kvLen));
      }
    });
  }

  it('exercised grants, refusals and evictions', () => {
    expect(outcomes.granted).toBeGreaterThan(100);
    expect(outcomes.refused).toBeGreaterThan(20);
    expect(outcomes.evictions).toBeGreaterThan(5);
  });
});

function expectPredictionHolds(alloc: BlockAllocator, need: number, onSuccess: (got: number[]) => void, onRefused: () => void): void {
  const predicted = alloc.canAllocate(need);
  if (predicted) {
    const before = alloc.freeBlocks + alloc.reclaimableBlocks;
    outcomes.granted++;
    if (need > alloc.freeBlocks) outcomes.evictions++;
    const got = alloc.allocate(need);
    expect(got).toHaveLength(need);
    expect(new Set(got).size).toBe(need);
    for (const b of got) expect(alloc.refCount(b)).toBe(1);
    expect(alloc.freeBlocks + alloc.reclaimableBlocks).toBe(before - need);
    onSuccess(got);
  } else {
    outcomes.refused++;
    expect(() => alloc.allocate(need)).toThrow(CapacityError);
    onRefused();
  }
}
