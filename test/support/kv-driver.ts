/**
 * Shared test support: a minimal direct driver for a CausalLM over a KV pool, without the engine. Each
 * sequence owns a fixed run of blocks, handed out in reverse so block tables are not the identity;
 * slot = blockTable[pos / blockSize]·blockSize + pos % blockSize.
 */
import type { BatchSequence, CausalLM, KvPool, KvPoolRequest } from '../../core/src/model/types.ts';

export type PoolFactory = (request: KvPoolRequest) => KvPool;

export interface DriverSequence {
  blockTable: Int32Array;
  /** tokens already in the KV cache */
  kvLen: number;
}

export class KvDriver {
  readonly pool: KvPool;
  private nextBlock = 0;

  /** name: how errors call this driver */
  constructor(readonly model: CausalLM, numBlocks: number, readonly blockSize: number, createPool: PoolFactory, private readonly name = 'KvDriver') {
    this.pool = createPool(model.kvRequest(blockSize, numBlocks));
  }

  /** a new sequence with room for maxTokens */
  sequence(maxTokens: number): DriverSequence {
    const n = Math.ceil(maxTokens / this.blockSize);
    if (this.nextBlock + n > this.pool.numBlocks) throw new Error(`${this.name}: pool exhausted`);
    const blockTable = Int32Array.from({ length: n }, (_, i) => this.nextBlock + n - 1 - i);
    this.nextBlock += n;
    return { blockTable, kvLen: 0 };
  }

  /**
   * One forward over new tokens of several sequences; returns, per sequence, the logits of its last new
   * token (all sequences want logits). Advances each sequence's kvLen.
   */
  step(parts: Array<{ seq: DriverSequence; tokens: readonly number[] }>): Float32Array[] {
    const total = parts.reduce((s, p) => s + p.tokens.length, 0);
    const tokens = new Int32Array(total);
    const positions = new Int32Array(total);
    const slotMapping = new Int32Array(total);
    const seqs: BatchSequence[] = [];
    let row = 0;
    for (const { seq, tokens: ids } of parts) {
      const qStart = row;
      for (let i = 0; i < ids.length; i++, row++) {
        const pos = seq.kvLen + i;
        tokens[row] = ids[i]!;
        positions[row] = pos;
        slotMapping[row] = seq.blockTable[Math.floor(pos / this.blockSize)]! * this.blockSize + (pos % this.blockSize);
      }
      seq.kvLen += ids.length;
      seqs.push({ qStart, qLen: ids.length, kvLen: seq.kvLen, blockTable: seq.blockTable, wantLogits: true });
    }
    const logits = this.model.forward({ tokens, positions, slotMapping, seqs, kv: this.pool });
    const V = this.model.vocabSize;
    return parts.map((_, i) => logits.subarray(i * V, (i + 1) * V));
  }

  dispose(): void {
    this.pool.dispose();
  }
}
