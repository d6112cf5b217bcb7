/**
 * Prefix cache: a radix tree over token ids at KV-block granularity (one full block per edge),
 * mapping prompt prefixes to the KV blocks that already hold them.
 *
 * Invariant that makes eviction and accounting exact: a request that references a node's block
 * also references every ancestor's block (its block table is the path from the root). `insert`
 * keeps it by swapping a request's duplicate block for the cached copy. Hence every cache-only
 * block lies in a subtree no request uses, and repeatedly evicting least-recently-used cache-only
 * leaves can reclaim all of them — `BlockAllocator.reclaimableBlocks` is exactly what `reclaim` can free.
 */
import type { BlockAllocator, BlockReclaimer } from './block-allocator.ts';

interface RadixNode {
  readonly key: string;
  readonly block: number;
  readonly parent: RadixNode | undefined;
  readonly children: Map<string, RadixNode>;
  lastUsed: number;
}

/** Where a request's cached prefix ends; opaque to callers. */
export interface RadixCursor {
  readonly node: unknown;
  /** full blocks of the request already in the tree */
  readonly blocks: number;
}

export interface PrefixMatch {
  /** cached blocks covering the first `tokens` tokens, root first (NOT yet retained for the caller) */
  blocks: number[];
  tokens: number;
  cursor: RadixCursor;
}

export interface PrefixCacheCounters {
  /** lookups recorded */
  queries: number;
  /** prompt tokens looked up */
  queryTokens: number;
  /** of those, tokens served from the cache */
  hitTokens: number;
}

export class RadixCache implements BlockReclaimer {
  private readonly root: RadixNode = { key: '', block: -1, parent: undefined, children: new Map(), lastUsed: 0 };
  private clock = 0;
  private nodes = 0;
  readonly counters: PrefixCacheCounters = { queries: 0, queryTokens: 0, hitTokens: 0 };

  constructor(private readonly allocator: BlockAllocator, readonly enabled: boolean) {
    if (enabled) allocator.setReclaimer(this);
  }

  /** blocks currently held by the tree */
  get cachedBlocks(): number {
    return this.nodes;
  }

  emptyCursor(): RadixCursor {
    return { node: this.root, blocks: 0 };
  }

  /**
   * Longest cached prefix of `tokens`, in full blocks, covering at most `maxTokens` tokens.
   * `record` adds the lookup to the hit counters (off for requests resuming after preemption).
   */
  match(tokens: ArrayLike<number>, maxTokens: number, record = true): PrefixMatch {
    const blockSize = this.allocator.blockSize;
    const blocks: number[] = [];
    let node = this.root;
    if (this.enabled) {
      const now = ++this.clock;
      const maxBlocks = Math.floor(Math.min(maxTokens, tokens.length) / blockSize);
      for (let i = 0; i < maxBlocks; i++) {
        const child = node.children.get(blockKey(tokens, i, blockSize));
        if (!child) break;
        child.lastUsed = now;
        blocks.push(child.block);
        node = child;
      }
    }
    const hit = blocks.length * blockSize;
    if (record) {
      this.counters.queries++;
      this.counters.queryTokens += tokens.length;
      this.counters.hitTokens += hit;
    }
    return { blocks, tokens: hit, cursor: { node, blocks: blocks.length } };
  }

  /**
   * Adds the request's full blocks [cursor.blocks, fullBlocks) to the tree and returns the new cursor.
   * Where the tree already holds a block for the same tokens, the request's block in `blockTable` is
   * released and replaced by the cached one (same contents), which keeps the invariant above.
   */
  insert(cursor: RadixCursor, tokens: ArrayLike<number>, blockTable: number[], fullBlocks: number): RadixCursor {
    if (!this.enabled || fullBlocks <= cursor.blocks) return cursor;
    const blockSize = this.allocator.blockSize;
    const now = ++this.clock;
    let node = cursor.node as RadixNode;
    for (let i = cursor.blocks; i < fullBlocks; i++) {
      const key = blockKey(tokens, i, blockSize);
      const own = blockTable[i]!;
      let child = node.children.get(key);
      if (child) {
        if (child.block !== own) {
          this.allocator.retain(child.block);
          this.allocator.release(own);
          blockTable[i] = child.block;
        }
      } else {
        child = { key, block: own, parent: node, children: new Map(), lastUsed: now };
        node.children.set(key, child);
        this.allocator.adoptIntoCache(own);
        this.nodes++;
      }
      child.lastUsed = now;
      node = child;
    }
    return { node, blocks: fullBlocks };
  }

  /** evicts least-recently-used cache-only leaves until `blocks` were freed or none is left */
  reclaim(blocks: number): number {
    if (blocks <= 0) return 0;
    const heap = new LeafHeap();
    const stack: RadixNode[] = [this.root];
    while (stack.length > 0) {
      const node = stack.pop()!;
      for (const child of node.children.values()) stack.push(child);
      if (node !== this.root && node.children.size === 0 && this.isCacheOnly(node)) heap.push(node);
    }
    let evicted = 0;
    while (evicted < blocks && heap.size > 0) {
      const leaf = heap.pop();
      const parent = leaf.parent!;
      parent.children.delete(leaf.key);
      this.allocator.dropFromCache(leaf.block);
      this.nodes--;
      evicted++;
      if (parent !== this.root && parent.children.size === 0 && this.isCacheOnly(parent)) heap.push(parent);
    }
    return evicted;
  }

  private isCacheOnly(node: RadixNode): boolean {
    return this.allocator.refCount(node.block) === 1;
  }
}

function blockKey(tokens: ArrayLike<number>, blockIndex: number, blockSize: number): string {
  let key = '';
  const start = blockIndex * blockSize;
  for (let j = 0; j < blockSize; j++) key += (j === 0 ? '' : ',') + tokens[start + j];
  return key;
}

/** min-heap on lastUsed (least recently used first) */
class LeafHeap {
  private readonly items: RadixNode[] = [];
  get size(): number {
    return this.items.length;
  }
  push(node: RadixNode): void {
    const a = this.items;
    a.push(node);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p]!.lastUsed <= a[i]!.lastUsed) break;
      [a[p], a[i]] = [a[i]!, a[p]!];
      i = p;
    }
  }
  pop(): RadixNode {
    const a = this.items;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && a[l]!.lastUsed < a[m]!.lastUsed) m = l;
        if (r < a.length && a[r]!.lastUsed < a[m]!.lastUsed) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i]!, a[m]!];
        i = m;
      }
    }
    return top;
  }
}
