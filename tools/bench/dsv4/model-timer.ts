/**
 * Times a DeepSeek-V4 CausalLM over the KV pool the runtime's KvPoolRegistry hands out (the V4 cache): one
 * sequence with an identity block table; prefill runs (a prompt from position 0, overwriting the previous
 * run's cache rows) and batch-1 greedy decode runs that continue the sequence.
 */
import type { CausalLM, KvPool, KvPoolRequest } from '@plexus/core';

const BLOCK = 16;

export class Dsv4Timer {
  private readonly pool: KvPool;
  private readonly blockTable: Int32Array;
  private length = 0;
  private next = 0;

  constructor(private readonly model: CausalLM, createPool: (r: KvPoolRequest) => KvPool, readonly maxTokens: number) {
    const blocks = Math.ceil(maxTokens / BLOCK);
    this.pool = createPool(model.kvRequest(BLOCK, blocks));
    this.blockTable = Int32Array.from({ length: blocks }, (_, i) => i);
  }

  get poolId(): string {
    return this.pool.id;
  }

  /** prefill tokens/s of one prompt of `tokens` tokens (the sequence restarts at position 0) */
  prefill(tokens: number): number {
    const prompt = Array.from({ length: tokens }, (_, i) => (i * 7919 + 11) % this.model.vocabSize);
    const t0 = performance.now();
    this.next = this.step(prompt, 0);
    const seconds = (performance.now() - t0) / 1000;
    this.length = tokens;
    return tokens / seconds;
  }

  /** decode tokens/s over `steps` greedy steps continuing the sequence */
  decode(steps: number): number {
    if (this.length === 0) throw new Error('Dsv4Timer: prefill a prompt before decoding');
    if (this.length + steps > this.maxTokens) throw new Error(`Dsv4Timer: ${this.length + steps} tokens exceed the pool's ${this.maxTokens}`);
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) this.next = this.step([this.next], this.length++);
    return steps / ((performance.now() - t0) / 1000);
  }

  dispose(): void {
    this.pool.dispose();
  }

  /** forward of `tokens` at positions [start, start + n); returns the greedy next token */
  private step(tokens: number[], start: number): number {
    const n = tokens.length;
    const positions = Int32Array.from({ length: n }, (_, i) => start + i);
    const logits = this.model.forward({
      tokens: Int32Array.from(tokens),
      positions,
      slotMapping: positions, // the block table is the identity
      seqs: [{ qStart: 0, qLen: n, kvLen: start + n, blockTable: this.blockTable, wantLogits: true }],
      kv: this.pool,
    });
    let best = 0;
    for (let v = 1; v < logits.length; v++) if (logits[v]! > logits[best]!) best = v;
    return best;
  }
}
