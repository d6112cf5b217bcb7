/**
 * Continuous-batching scheduler: a waiting queue and a running set, planned one step at a time.
 *
 * Every step (1) gives each running request its next chunk, oldest first — one token while
 * decoding, prefill chunks within the per-step prefill budget — preempting the most recently
 * admitted request whenever the allocator cannot cover a chunk; then (2) admits waiting requests
 * while the limits and the allocator allow. Both steps ask the allocator's own `blocksNeeded` /
 * `canAllocate` and allocate right after asking, so a planned step never lacks blocks.
 * A preempted request drops its KV and goes back to the front of the queue; it resumes by
 * recomputing prompt + generated tokens (cheaply, when the prefix cache still holds them).
 */
import { CapacityError } from '../errors.ts';
import type { BlockAllocator } from './block-allocator.ts';
import type { RadixCache } from './radix-cache.ts';
import type { Sequence } from './sequence.ts';

export interface SchedulerLimits {
  maxRunningRequests: number;
  maxQueuedRequests: number;
  /** prefill tokens per step across requests; Infinity = no chunking */
  chunkedPrefillSize: number;
}

export interface ScheduledChunk {
  seq: Sequence;
  /** position of the first token fed (= the sequence's kvLen before the step) */
  start: number;
  length: number;
  /** the chunk reaches the end of the sequence: sample its next token */
  wantLogits: boolean;
}

export interface StepPlan {
  chunks: ScheduledChunk[];
  admitted: Sequence[];
  preempted: Sequence[];
}

export class Scheduler {
  private readonly waitingQueue: Sequence[] = [];
  private readonly runningSet: Sequence[] = [];
  private admissions = 0;

  constructor(
    private readonly allocator: BlockAllocator,
    private readonly cache: RadixCache,
    private readonly limits: SchedulerLimits,
  ) {}

  get waiting(): readonly Sequence[] {
    return this.waitingQueue;
  }

  /** in admission order, oldest first */
  get running(): readonly Sequence[] {
    return this.runningSet;
  }

  get hasWork(): boolean {
    return this.waitingQueue.length > 0 || this.runningSet.length > 0;
  }

  /** queues a new request; CapacityError when the queue is full */
  enqueue(seq: Sequence): void {
    if (this.waitingQueue.length >= this.limits.maxQueuedRequests) {
      throw new CapacityError(`request queue is full (${this.limits.maxQueuedRequests} waiting); retry later or raise --max-queued-requests`);
    }
    seq.status = 'waiting';
    this.waitingQueue.push(seq);
  }

  schedule(): StepPlan {
    const plan: StepPlan = { chunks: [], admitted: [], preempted: [] };
    let budget = this.limits.chunkedPrefillSize;
    const running = this.runningSet;

    for (let i = 0; i < running.length; i++) {
      const seq = running[i]!;
      const length = chunkLength(seq.pending, budget);
      if (length === 0) continue;
      const need = this.allocator.blocksNeeded(seq.blockTable.length, seq.kvLen + length);
      let selfPreempted = false;
      while (!this.allocator.canAllocate(need)) {
        const victim = running[running.length - 1]!;
        if (victim === seq && running.length === 1) {
          throw new CapacityError(`request ${seq.id} alone needs ${need} more KV blocks than the pool holds (internal limit check failed)`);
        }
        this.preempt(victim);
        plan.preempted.push(victim);
        if (victim === seq) {
          selfPreempted = true;
          break;
        }
      }
      if (selfPreempted) break; // it was the youngest: nobody is left after it
      this.grow(seq, need);
      if (seq.pending > 1) budget -= length;
      plan.chunks.push({ seq, start: seq.kvLen, length, wantLogits: seq.kvLen + length === seq.tokens.length });
    }

    // admitting right after preempting would only preempt again
    if (plan.preempted.length === 0) {
      while (this.waitingQueue.length > 0 && running.length < this.limits.maxRunningRequests) {
        const seq = this.waitingQueue[0]!;
        if (!this.tryAdmit(seq, budget, plan)) break;
        if (seq.pending > 1) budget -= plan.chunks[plan.chunks.length - 1]!.length;
      }
    }
    return plan;
  }

  /** after the forward pass: the chunks' KV is computed; full blocks go into the prefix cache */
  commit(chunks: readonly ScheduledChunk[]): void {
    const blockSize = this.allocator.blockSize;
    for (const { seq, length } of chunks) {
      if (seq.status !== 'running') continue;
      seq.kvLen += length;
      seq.cursor = this.cache.insert(seq.cursor, seq.tokens, seq.blockTable, Math.floor(seq.kvLen / blockSize));
    }
  }

  /** removes a request (finished, aborted or failed) and frees its KV at once */
  remove(seq: Sequence): void {
    if (seq.status === 'running') {
      const i = this.runningSet.indexOf(seq);
      if (i >= 0) this.runningSet.splice(i, 1);
      this.releaseBlocks(seq);
    } else if (seq.status === 'waiting') {
      const i = this.waitingQueue.indexOf(seq);
      if (i >= 0) this.waitingQueue.splice(i, 1);
    }
    seq.status = 'finished';
  }

  private tryAdmit(seq: Sequence, budget: number, plan: StepPlan): boolean {
    const resumed = seq.preemptions > 0;
    // leave at least one token to compute: its logits give the next token
    const match = this.cache.match(seq.tokens, seq.tokens.length - 1, !resumed);
    const length = chunkLength(seq.tokens.length - match.tokens, budget);
    if (length === 0) return false;
    // retain first: matched blocks that only the cache held stop being reclaimable, and the check below sees that
    for (const block of match.blocks) this.allocator.retain(block);
    const need = this.allocator.blocksNeeded(match.blocks.length, match.tokens + length);
    if (!this.allocator.canAllocate(need)) {
      for (const block of match.blocks) this.allocator.release(block);
      return false;
    }
    this.waitingQueue.shift();
    seq.blockTable = match.blocks;
    seq.kvLen = match.tokens;
    seq.cursor = match.cursor;
    seq.cachedPromptTokens ??= match.tokens;
    seq.status = 'running';
    seq.admissionOrder = ++this.admissions;
    this.grow(seq, need);
    this.runningSet.push(seq);
    plan.admitted.push(seq);
    plan.chunks.push({ seq, start: seq.kvLen, length, wantLogits: seq.kvLen + length === seq.tokens.length });
    return true;
  }

  private grow(seq: Sequence, blocks: number): void {
    if (blocks > 0) for (const b of this.allocator.allocate(blocks)) seq.blockTable.push(b);
  }

  private preempt(seq: Sequence): void {
    const i = this.runningSet.lastIndexOf(seq);
    this.runningSet.splice(i, 1);
    this.releaseBlocks(seq);
    seq.status = 'waiting';
    seq.preemptions++;
    this.waitingQueue.unshift(seq);
  }

  private releaseBlocks(seq: Sequence): void {
    for (const block of seq.blockTable) this.allocator.release(block);
    seq.blockTable = [];
    seq.kvLen = 0;
    seq.cursor = this.cache.emptyCursor();
  }
}

/** a decode token is free; prefill tokens come out of the step's budget */
function chunkLength(pending: number, budget: number): number {
  return pending === 1 ? 1 : Math.min(pending, Math.max(0, budget));
}
