/**
 * The KV compressor of one compressed layer (main, or the indexer's). Each new token's projected kv and gate
 * score (+ the position bias of its in-window offset) go into the V4 cache; every window of `ratio` tokens
 * that completes in this step becomes one entry:
 *   no overlap: C_t = Σ_{u<r} softmax_u(Z_{tr+u}) ⊙ KV_{tr+u}              (channels [0, dim))
 *   overlap:    candidates = window t-1's tokens on channels [0, dim) ("a") + window t's on [dim, 2·dim) ("b");
 *               window 0 has no "a" candidates
 *   then RMSNorm(norm) and RoPE on the last ropeDim dims at position t·r (compress table).
 * Entries are written to the block of the window's last token (v4-cache-layout.ts). Because the state is
 * per token and read back from the cache, prefill, chunked prefill and decode compute identical entries.
 */
import type { KernelOps } from '@plexus/core';
import { entryLocation } from '../kv/v4-cache-layout.ts';
import type { CompressorCache } from '../kv/v4-kv-pool.ts';
import type { CompressorWeights } from '../weights/dsv4-weights.ts';
import type { RopeTable } from '../config/rope-config.ts';
import type { Scratch } from './scratch.ts';
import { slotOf, type SequenceView } from './sequence-view.ts';

export interface CompressorContext {
  readonly ops: KernelOps;
  readonly blockSize: number;
  readonly ropeDim: number;
  readonly rope: RopeTable;
  readonly eps: number;
  readonly scratch: Scratch;
}

/** runs the compressor for the batch's new tokens; `x` [T, hidden] is the attention input */
export function compressTokens(cx: CompressorContext, w: CompressorWeights, cache: CompressorCache, x: Float32Array, T: number, seqs: readonly SequenceView[], key: string): void {
  const { ops, blockSize: bs, scratch } = cx;
  const { ratio: r, dim, overlap } = w;
  const width = cache.layout.width;
  const kv = scratch.f32(`${key}.kv`, T * width);
  const score = scratch.f32(`${key}.score`, T * width);
  w.wkv.forward(kv, x, T);
  w.wgate.forward(score, x, T);

  const windows: Array<{ seq: SequenceView; t: number }> = [];
  for (const seq of seqs) {
    for (let i = 0; i < seq.qLen; i++) {
      const row = seq.qStart + i, pos = seq.first + i;
      const ape = (pos % r) * width;
      for (let c = 0; c < width; c++) score[row * width + c]! += w.ape[ape + c]!;
      const slot = slotOf(seq, pos, bs) * width;
      cache.kv.set(kv.subarray(row * width, (row + 1) * width), slot);
      cache.score.set(score.subarray(row * width, (row + 1) * width), slot);
      if ((pos + 1) % r === 0) windows.push({ seq, t: (pos + 1) / r - 1 });
    }
  }
  if (windows.length === 0) return;

  const W = windows.length, C = overlap ? 2 * r : r;
  const candKv = scratch.f32(`${key}.candKv`, W * C * dim);
  const candScore = scratch.f32(`${key}.candScore`, W * C * dim);
  const positions = scratch.i32(`${key}.entryPos`, W);
  windows.forEach(({ seq, t }, wi) => {
    positions[wi] = t * r;
    for (let c = 0; c < C; c++) {
      const dst = (wi * C + c) * dim;
      // overlap: candidates [0, r) are the previous window's tokens on the "a" channels
      const prev = overlap && c < r;
      const pos = prev ? (t - 1) * r + c : t * r + (overlap ? c - r : c);
      const channel = overlap && !prev ? dim : 0;
      if (pos < 0) {
        candKv.fill(0, dst, dst + dim);
        candScore.fill(-Infinity, dst, dst + dim);
        continue;
      }
      const src = slotOf(seq, pos, bs) * width + channel;
      candKv.set(cache.kv.subarray(src, src + dim), dst);
      candScore.set(cache.score.subarray(src, src + dim), dst);
    }
  });
  const pooled = scratch.f32(`${key}.pooled`, W * dim);
  const entries = scratch.f32(`${key}.entries`, W * dim);
  ops.dsv4CompressWindows({ out: pooled, kv: candKv, score: candScore, numWindows: W, numCandidates: C, dim });
  ops.rmsnorm(entries, pooled, w.norm, W, dim, cx.eps);
  ops.rope({
    x: entries, positions, nHeads: 1, headDim: dim, rotaryDim: cx.ropeDim, rotaryOffset: dim - cx.ropeDim,
    invFreq: cx.rope.invFreq, mscale: cx.rope.mscale, layout: 'interleaved',
  });
  const perBlock = cache.layout.entriesPerBlock;
  windows.forEach(({ seq, t }, wi) => {
    const loc = entryLocation(t, r, bs);
    const at = (seq.blockTable[loc.block]! * perBlock + loc.slot) * dim;
    cache.entries.set(entries.subarray(wi * dim, (wi + 1) * dim), at);
  });
}

/** entries 0..count-1 of one sequence, gathered into out[count, dim] */
export function gatherEntries(out: Float32Array, cache: CompressorCache, seq: SequenceView, count: number, blockSize: number): void {
  const { ratio, dim, entriesPerBlock } = cache.layout;
  for (let t = 0; t < count; t++) {
    const loc = entryLocation(t, ratio, blockSize);
    const at = (seq.blockTable[loc.block]! * entriesPerBlock + loc.slot) * dim;
    out.set(cache.entries.subarray(at, at + dim), t * dim);
  }
}
