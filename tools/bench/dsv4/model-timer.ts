/**
 * Times a DeepSeek-V4 CausalLM over the KV pool the runtime's KvPoolRegistry hands out (the V4 cache): one
 * sequence with an identity block table; prefill runs (a prompt from position 0, overwriting the previous
 * run's cache rows) and batch-1 greedy decode runs that continue the sequence.
 */
import type { CausalLM, KvPool, KvPoolRequest } from '@plexus/core';
import { SingleSequence } from '../decode/single-sequence.ts';

export class Dsv4Timer {
  private readonly seq: SingleSequence;
  private length = 0;
  private next = 0;

  constructor(model: CausalLM, createPool: (r: KvPoolRequest) => KvPool, readonly maxTokens: number) {
    this.seq = new SingleSequence(model, createPool, maxTokens, (logits) => {
      let best = 0;
      for (let v = 1; v < logits.length; v++) if (logits[v]! > logits[best]!) best = v;
      return best;
    });
  }

  get poolId(): string {
    return this.seq.pool.id;
  }

  /** prefill tokens/s of one prompt of `tokens` tokens (the sequence restarts at position 0) */
  prefill(tokens: number): number {
    const prompt = this.seq.prompt(tokens);
    const t0 = performance.now();
    this.next = this.seq.step(prompt, 0);
    const seconds = (performance.now() - t0) / 1000;
    this.length = tokens;
    return tokens / seconds;
  }

  /** decode tokens/s over `steps` greedy steps continuing the sequence */
  decode(steps: number): number {
    if (this.length === 0) throw new Error('Dsv4Timer: prefill a prompt before decoding');
    if (this.length + steps > this.maxTokens) throw new Error(`Dsv4Timer: ${this.length + steps} tokens exceed the pool's ${this.maxTokens}`);
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) this.next = this.seq.step([this.next], this.length++);
    return steps / ((performance.now() - t0) / 1000);
  }

  dispose(): void {
    this.seq.dispose();
  }
}
