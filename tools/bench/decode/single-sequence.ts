/**
 * One sequence on a KV pool of its own with an identity block table: what the decode and DeepSeek-V4
 * benchmarks step through (prompts from position 0, greedy next tokens).
 */
import type { CausalLM, KvPool, KvPoolRequest } from '@plexus/core';

const BLOCK = 16;

export class SingleSequence {
  readonly pool: KvPool;
  private readonly blockTable: Int32Array;

  constructor(
    private readonly model: CausalLM,
    createPool: (r: KvPoolRequest) => KvPool,
    maxTokens: number,
    /** index of the largest logit of one row */
    private readonly argmax: (logits: Float32Array) => number,
  ) {
    const blocks = Math.ceil(maxTokens / BLOCK);
    this.pool = createPool(model.kvRequest(BLOCK, blocks));
    this.blockTable = Int32Array.from({ length: blocks }, (_, i) => i);
  }

  /** a deterministic prompt of n token ids */
  prompt(n: number): number[] {
    return Array.from({ length: n }, (_, i) => (i * 7919 + 11) % this.model.vocabSize);
  }

  /** forward of `tokens` at positions [start, start + n); returns the greedy next token */
  step(tokens: number[], start: number): number {
    const n = tokens.length;
    const positions = Int32Array.from({ length: n }, (_, i) => start + i);
    const logits = this.model.forward({
      tokens: Int32Array.from(tokens),
      positions,
      slotMapping: positions, // the block table is the identity
      seqs: [{ qStart: 0, qLen: n, kvLen: start + n, blockTable: this.blockTable, wantLogits: true }],
      kv: this.pool,
    });
    return this.argmax(logits);
  }

  dispose(): void {
    this.pool.dispose();
  }
}
