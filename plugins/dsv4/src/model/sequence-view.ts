/**
 * The sequences of a ForwardBatch as the model needs them: where each one's new tokens sit in the batch,
 * their positions, and the cache slot of any position (through the sequence's block table). Inconsistent
 * batches (positions that do not continue the cached prefix, block tables too short or out of range) are
 * rejected before anything is written.
 */
import { InvalidArgumentError, type ForwardBatch } from '@plexus/core';

export interface SequenceView {
  /** first row of this sequence's new tokens in the batch */
  readonly qStart: number;
  readonly qLen: number;
  /** position of the first new token (= tokens already cached) */
  readonly first: number;
  /** position of the last new token */
  readonly last: number;
  readonly blockTable: Int32Array;
  readonly wantLogits: boolean;
}

export function sequenceViews(batch: ForwardBatch, blockSize: number, numBlocks: number, maxPositions: number): SequenceView[] {
  const n = batch.tokens.length;
  if (batch.positions.length !== n) throw new InvalidArgumentError(`forward batch: ${batch.positions.length} positions for ${n} tokens`, 'positions');
  let covered = 0;
  const views = batch.seqs.map((s, index): SequenceView => {
    const where = `forward batch sequence ${index}`;
    if (!Number.isSafeInteger(s.qLen) || s.qLen < 1 || s.qStart !== covered || s.qStart + s.qLen > n) {
      throw new InvalidArgumentError(`${where}: rows [${s.qStart}, ${s.qStart + s.qLen}) must follow the previous sequence's inside ${n} tokens`, 'seqs');
    }
    covered += s.qLen;
    const first = s.kvLen - s.qLen;
    if (first < 0 || s.kvLen > maxPositions) throw new InvalidArgumentError(`${where}: kvLen ${s.kvLen} must be in [qLen, ${maxPositions}]`, 'seqs');
    for (let i = 0; i < s.qLen; i++) {
      if (batch.positions[s.qStart + i] !== first + i) {
        throw new InvalidArgumentError(`${where}: token ${i} has position ${batch.positions[s.qStart + i]}, expected ${first + i} (new tokens continue the cached prefix)`, 'positions');
      }
    }
    const blocks = Math.ceil(s.kvLen / blockSize);
    if (s.blockTable.length < blocks) throw new InvalidArgumentError(`${where}: block table has ${s.blockTable.length} blocks, ${s.kvLen} positions need ${blocks}`, 'blockTable');
    for (let b = 0; b < blocks; b++) {
      const id = s.blockTable[b]!;
      if (!(id >= 0 && id < numBlocks)) throw new InvalidArgumentError(`${where}: block id ${id} is outside the pool's [0, ${numBlocks})`, 'blockTable');
    }
    return { qStart: s.qStart, qLen: s.qLen, first, last: s.kvLen - 1, blockTable: s.blockTable, wantLogits: s.wantLogits };
  });
  if (covered !== n) throw new InvalidArgumentError(`forward batch: sequences cover ${covered} of ${n} tokens`, 'seqs');
  return views;
}

/** cache slot (block id · blockSize + offset) of a position of this sequence */
export function slotOf(seq: SequenceView, position: number, blockSize: number): number {
  return seq.blockTable[Math.floor(position / blockSize)]! * blockSize + (position % blockSize);
}
