/**
 * Fixed pool of paged-KV blocks with reference counts.
 *
 * This class is the ONLY place that answers "how many blocks does this need?" and "can I get them?":
 * the scheduler's admission and growth checks call `blocksNeeded` / `canAllocate`, and `allocate`
 * succeeds exactly when `canAllocate` said so (vLLM #41282 is what happens when the two drift apart).
 *
 * A block can be referenced by requests and, once full, by the prefix cache. A block that only the
 * cache references ("reclaimable") counts as available: `allocate` asks the reclaimer (the radix
 * cache) to evict such blocks when the free list runs short.
 */
import { CapacityError } from '../errors.ts';

/** Gives cache-only blocks back to the allocator (implemented by the radix cache). */
export interface BlockReclaimer {
  /** evict at least `blocks` cache-only blocks via `BlockAllocator.dropFromCache`; returns how many it evicted */
  reclaim(blocks: number): number;
}

export class BlockAllocator {
  private readonly refCounts: Int32Array;
  private readonly cached: Uint8Array;
  private readonly freeList: number[];
  private cacheOnly = 0;
  private reclaimer: BlockReclaimer | undefined;

  constructor(readonly numBlocks: number, readonly blockSize: number) {
    if (!Number.isInteger(numBlocks) || numBlocks < 1) throw new CapacityError(`KV pool needs at least one block, got ${numBlocks}; raise --max-total-tokens`);
    if (!Number.isInteger(blockSize) || blockSize < 1) throw new CapacityError(`KV block size must be a positive integer, got ${blockSize}`);
    this.refCounts = new Int32Array(numBlocks);
    this.cached = new Uint8Array(numBlocks);
    // pop() hands out low ids first, which keeps traces readable
    this.freeList = Array.from({ length: numBlocks }, (_, i) => numBlocks - 1 - i);
  }

  setReclaimer(reclaimer: BlockReclaimer | undefined): void {
    this.reclaimer = reclaimer;
  }

  /** blocks on the free list */
  get freeBlocks(): number {
    return this.freeList.length;
  }

  /** blocks only the prefix cache references (evictable on demand) */
  get reclaimableBlocks(): number {
    return this.cacheOnly;
  }

  /** what `allocate` can hand out right now */
  get availableBlocks(): number {
    return this.freeList.length + this.cacheOnly;
  }

  /** blocks referenced by at least one request */
  get usedBlocks(): number {
    return this.numBlocks - this.availableBlocks;
  }

  blocksForTokens(tokens: number): number {
    return Math.ceil(tokens / this.blockSize);
  }

  /** new blocks a sequence holding `heldBlocks` blocks needs to cover `targetTokens` tokens */
  blocksNeeded(heldBlocks: number, targetTokens: number): number {
    return Math.max(0, this.blocksForTokens(targetTokens) - heldBlocks);
  }

  canAllocate(blocks: number): boolean {
    return blocks <= this.availableBlocks;
  }

  /** hands out `count` blocks with refcount 1; throws CapacityError when `canAllocate(count)` is false */
  allocate(count: number): number[] {
    if (!this.canAllocate(count)) {
      throw new CapacityError(`KV allocator: asked for ${count} blocks, ${this.availableBlocks} available (scheduler bug: admission must check canAllocate first)`);
    }
    const shortBy = count - this.freeList.length;
    if (shortBy > 0) this.reclaimer?.reclaim(shortBy);
    if (this.freeList.length < count) {
      throw new CapacityError(`KV allocator: reclaimer freed too few blocks (${this.freeList.length} free, ${count} needed)`);
    }
    const out = new Array<number>(count);
    for (let i = 0; i < count; i++) {
      const block = this.freeList.pop()!;
      this.refCounts[block] = 1;
      out[i] = block;
    }
    return out;
  }

  refCount(block: number): number {
    this.check(block);
    return this.refCounts[block]!;
  }

  isCached(block: number): boolean {
    this.check(block);
    return this.cached[block] === 1;
  }

  /** adds a reference to a block that is already in use (prefix sharing) */
  retain(block: number): void {
    this.check(block);
    const rc = this.refCounts[block]!;
    if (rc < 1) throw new Error(`KV allocator: retain of free block ${block}`);
    if (this.cached[block] && rc === 1) this.cacheOnly--;
    this.refCounts[block] = rc + 1;
  }

  /** drops a reference; a block nobody references returns to the free list */
  release(block: number): void {
    this.check(block);
    const rc = this.refCounts[block]!;
    if (rc < 1) throw new Error(`KV allocator: double release of block ${block}`);
    if (this.cached[block] && rc === 1) {
      throw new Error(`KV allocator: block ${block} is cached; the cache drops it with dropFromCache`);
    }
    this.refCounts[block] = rc - 1;
    if (rc === 1) this.freeList.push(block);
    else if (this.cached[block] && rc === 2) this.cacheOnly++;
  }

  /** the prefix cache takes its own reference on a block a request filled */
  adoptIntoCache(block: number): void {
    this.check(block);
    if (this.cached[block]) throw new Error(`KV allocator: block ${block} is already cached`);
    if (this.refCounts[block]! < 1) throw new Error(`KV allocator: cannot cache free block ${block}`);
    this.cached[block] = 1;
    this.refCounts[block]! += 1;
  }

  /** the prefix cache evicts a block no request uses; it returns to the free list */
  dropFromCache(block: number): void {
    this.check(block);
    if (!this.cached[block] || this.refCounts[block] !== 1) {
      throw new Error(`KV allocator: block ${block} is not cache-only (refs ${this.refCounts[block]}, cached ${this.cached[block]})`);
    }
    this.cached[block] = 0;
    this.refCounts[block] = 0;
    this.cacheOnly--;
    this.freeList.push(block);
  }

  private check(block: number): void {
    if (!Number.isInteger(block) || block < 0 || block >= this.numBlocks) {
      throw new RangeError(`KV block id ${block} outside [0, ${this.numBlocks})`);
    }
  }
}
