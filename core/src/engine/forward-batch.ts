/** Lays a step's scheduled chunks out as the flat ForwardBatch a CausalLM consumes. */
import type { ForwardBatch, KvPool } from '../model/types.ts';
import type { ScheduledChunk } from './scheduler.ts';

export function buildForwardBatch(chunks: readonly ScheduledChunk[], kv: KvPool): ForwardBatch {
  const blockSize = kv.blockSize;
  let total = 0;
  for (const c of chunks) total += c.length;
  const tokens = new Int32Array(total);
  const positions = new Int32Array(total);
  const slotMapping = new Int32Array(total);
  const seqs: ForwardBatch['seqs'] = [];
  let q = 0;
  for (const { seq, start, length, wantLogits } of chunks) {
    const qStart = q;
    for (let pos = start; pos < start + length; pos++, q++) {
      tokens[q] = seq.tokens[pos]!;
      positions[q] = pos;
      slotMapping[q] = seq.blockTable[Math.floor(pos / blockSize)]! * blockSize + (pos % blockSize);
    }
    const kvLen = start + length;
    seqs.push({ qStart, qLen: length, kvLen, blockTable: Int32Array.from(seq.blockTable.slice(0, Math.ceil(kvLen / blockSize))), wantLogits });
  }
  return { tokens, positions, slotMapping, seqs, kv };
}
