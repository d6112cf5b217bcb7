/**
 * Turns a ForwardBatch into the flat per-sequence arrays the paged attention kernel takes, validating
 * everything the kernels would otherwise trust (lengths, token ids, block ids), so a malformed batch is
 * a clear InvalidArgumentError instead of an out-of-bounds read.
 */
import { InvalidArgumentError, type ForwardBatch } from '@plexus/core';
import { GrowableI32 } from './growable.ts';

export interface BatchLayout {
  numTokens: number;
  seqQStart: Int32Array;
  seqQLen: Int32Array;
  seqKvLen: Int32Array;
  blockTables: Int32Array;
  blockTableStart: Int32Array;
  /** row of the last new token of every sequence that wants logits, in batch order */
  logitRows: Int32Array;
}

export class BatchLayoutBuilder {
  private readonly qStart = new GrowableI32();
  private readonly qLen = new GrowableI32();
  private readonly kvLen = new GrowableI32();
  private readonly tables = new GrowableI32();
  private readonly tableStart = new GrowableI32();
  private readonly rows = new GrowableI32();

  constructor(private readonly vocabSize: number) {}

  build(batch: ForwardBatch): BatchLayout {
    const { tokens, positions, slotMapping, seqs, kv } = batch;
    const T = tokens.length;
    if (T === 0) throw new InvalidArgumentError('forward: the batch has no tokens', 'tokens');
    if (positions.length !== T || slotMapping.length !== T) {
      throw new InvalidArgumentError(`forward: tokens (${T}), positions (${positions.length}) and slotMapping (${slotMapping.length}) must have equal length`, 'positions');
    }
    for (let i = 0; i < T; i++) {
      const id = tokens[i]!;
      if (id < 0 || id >= this.vocabSize) throw new InvalidArgumentError(`forward: token id ${id} at row ${i} is outside the vocabulary [0, ${this.vocabSize})`, 'tokens');
      if (positions[i]! < 0) throw new InvalidArgumentError(`forward: negative position ${positions[i]} at row ${i}`, 'positions');
      const slot = slotMapping[i]!;
      if (slot < -1 || slot >= kv.numBlocks * kv.blockSize) throw new InvalidArgumentError(`forward: KV slot ${slot} at row ${i} is outside the pool (${kv.numBlocks} blocks of ${kv.blockSize})`, 'slotMapping');
    }

    const S = seqs.length;
    const seqQStart = this.qStart.take(S);
    const seqQLen = this.qLen.take(S);
    const seqKvLen = this.kvLen.take(S);
    const blockTableStart = this.tableStart.take(S);
    let totalBlocks = 0;
    let wanted = 0;
    let covered = 0;
    for (let s = 0; s < S; s++) {
      const seq = seqs[s]!;
      if (seq.qStart !== covered || seq.qLen < 1 || seq.qStart + seq.qLen > T) {
        throw new InvalidArgumentError(`forward: sequence ${s} covers rows [${seq.qStart}, ${seq.qStart + seq.qLen}); sequences must tile the ${T} tokens in order`, 'seqs');
      }
      covered += seq.qLen;
      if (seq.kvLen < seq.qLen) throw new InvalidArgumentError(`forward: sequence ${s} has kvLen ${seq.kvLen} < qLen ${seq.qLen}`, 'seqs');
      const needBlocks = Math.ceil(seq.kvLen / kv.blockSize);
      if (seq.blockTable.length < needBlocks) {
        throw new InvalidArgumentError(`forward: sequence ${s} needs ${needBlocks} KV blocks for ${seq.kvLen} keys, its block table has ${seq.blockTable.length}`, 'seqs');
      }
      seqQStart[s] = seq.qStart;
      seqQLen[s] = seq.qLen;
      seqKvLen[s] = seq.kvLen;
      blockTableStart[s] = totalBlocks;
      totalBlocks += needBlocks;
      if (seq.wantLogits) wanted++;
    }
    if (covered !== T) throw new InvalidArgumentError(`forward: sequences cover ${covered} of ${T} tokens`, 'seqs');

    const blockTables = this.tables.take(totalBlocks);
    const logitRows = this.rows.take(wanted);
    let w = 0;
    for (let s = 0; s < S; s++) {
      const seq = seqs[s]!;
      const start = blockTableStart[s]!;
      const n = Math.ceil(seq.kvLen / kv.blockSize);
      for (let j = 0; j < n; j++) {
        const block = seq.blockTable[j]!;
        if (block < 0 || block >= kv.numBlocks) throw new InvalidArgumentError(`forward: sequence ${s} references KV block ${block}; the pool has ${kv.numBlocks}`, 'seqs');
        blockTables[start + j] = block;
      }
      if (seq.wantLogits) logitRows[w++] = seq.qStart + seq.qLen - 1;
    }
    return { numTokens: T, seqQStart, seqQLen, seqKvLen, blockTables, blockTableStart, logitRows };
  }
}
