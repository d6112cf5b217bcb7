/**
 * DeepSeek-V4 attention of one layer over the V4 cache:
 *  q  = per-head unweighted RMSNorm(wq_b(q_norm(wq_a x))), RoPE on the last ropeDim dims of every head;
 *  kv = RoPE(kv_norm(wkv x)) — one head shared as key and value, stored in the cache;
 *  keys of the query at position p: its window [p-W+1, p] of raw rows, plus compressed entries t with
 *  t < ⌊(p+1)/r⌋ — all of them (HCA) or the lightning indexer's top-k (CSA, lower index wins ties);
 *  o  = softmax with the head's sink over those keys, then inverse RoPE at p on the last ropeDim dims;
 *  out = wo_b(grouped wo_a(o)).
 */
import type { KernelOps } from '@plexus/core';
import type { Dsv4Config, Dsv4LayerSpec } from '../config/dsv4-config.ts';
import type { RopeTable } from '../config/rope-config.ts';
import type { LayerCache } from '../kv/v4-kv-pool.ts';
import type { AttentionWeights } from '../weights/dsv4-weights.ts';
import { compressTokens, gatherEntries, type CompressorContext } from './compressor.ts';
import type { Scratch } from './scratch.ts';
import { slotOf, type SequenceView } from './sequence-view.ts';

export interface AttentionContext {
  readonly ops: KernelOps;
  readonly config: Dsv4Config;
  readonly blockSize: number;
  readonly ropes: { readonly main: RopeTable; readonly compress: RopeTable };
  readonly scratch: Scratch;
}

export function attention(
  cx: AttentionContext, spec: Dsv4LayerSpec, w: AttentionWeights, cache: LayerCache,
  out: Float32Array, x: Float32Array, positions: Int32Array, seqs: readonly SequenceView[],
): void {
  const { ops, config: c, blockSize: bs, scratch } = cx;
  const T = positions.length, H = c.numHeads, hd = c.headDim, rd = c.ropeDim;
  const rope = spec.kind === 'sliding' ? cx.ropes.main : cx.ropes.compress;
  const ropeArgs = { positions, rotaryDim: rd, invFreq: rope.invFreq, mscale: rope.mscale, layout: 'interleaved' as const };

  const qa = scratch.f32('attn.qa', T * c.qLoraRank);
  const qr = scratch.f32('attn.qr', T * c.qLoraRank);
  w.wqA.forward(qa, x, T);
  ops.rmsnorm(qr, qa, w.qNorm, T, c.qLoraRank, c.rmsNormEps);
  const qRaw = scratch.f32('attn.qRaw', T * H * hd);
  const q = scratch.f32('attn.q', T * H * hd);
  w.wqB.forward(qRaw, qr, T);
  ops.rmsnorm(q, qRaw, null, T * H, hd, c.rmsNormEps);
  ops.rope({ ...ropeArgs, x: q, nHeads: H, headDim: hd, rotaryOffset: hd - rd });

  const kvRaw = scratch.f32('attn.kvRaw', T * hd);
  const kv = scratch.f32('attn.kv', T * hd);
  w.wkv.forward(kvRaw, x, T);
  ops.rmsnorm(kv, kvRaw, w.kvNorm, T, hd, c.rmsNormEps);
  ops.rope({ ...ropeArgs, x: kv, nHeads: 1, headDim: hd, rotaryOffset: hd - rd });
  for (const seq of seqs) {
    for (let i = 0; i < seq.qLen; i++) cache.raw.set(kv.subarray((seq.qStart + i) * hd, (seq.qStart + i + 1) * hd), slotOf(seq, seq.first + i, bs) * hd);
  }

  const compressCx: CompressorContext = { ops, blockSize: bs, ropeDim: rd, rope: cx.ropes.compress, eps: c.rmsNormEps, scratch };
  if (w.compressor && cache.main) compressTokens(compressCx, w.compressor, cache.main, x, T, seqs, 'comp');
  let qI: Float32Array | undefined, weights: Float32Array | undefined;
  if (w.indexer && cache.indexer) {
    compressTokens(compressCx, w.indexer.compressor, cache.indexer, x, T, seqs, 'idx');
    const nI = c.indexHeads, Di = c.indexHeadDim;
    qI = scratch.f32('attn.qI', T * nI * Di);
    w.indexer.wqB.forward(qI, qr, T);
    ops.rope({ ...ropeArgs, invFreq: cx.ropes.compress.invFreq, mscale: cx.ropes.compress.mscale, x: qI, nHeads: nI, headDim: Di, rotaryOffset: Di - rd });
    weights = scratch.f32('attn.idxWeights', T * nI);
    w.indexer.weightsProj.forward(weights, x, T);
    // HF's scorer: ReLU(q·k) · Di^-½, weights · nI^-½ — both folded into the weights
    const s = 1 / Math.sqrt(nI) / Math.sqrt(Di);
    for (let i = 0; i < weights.length; i++) weights[i]! *= s;
  }

  const o = scratch.f32('attn.o', T * H * hd);
  for (const seq of seqs) attendSequence(cx, spec, w, cache, seq, q, o, qI, weights);
  ops.rope({ ...ropeArgs, x: o, nHeads: H, headDim: hd, rotaryOffset: hd - rd, inverse: true });

  const z = scratch.f32('attn.z', T * c.oGroups * c.oLoraRank);
  w.woA.forward(z, o, T);
  w.woB.forward(out, z, T);
}

/** keys of one sequence's queries: window rows, then compressed entries; then the sparse attention op */
function attendSequence(
  cx: AttentionContext, spec: Dsv4LayerSpec, w: AttentionWeights, cache: LayerCache, seq: SequenceView,
  q: Float32Array, o: Float32Array, qI: Float32Array | undefined, idxWeights: Float32Array | undefined,
): void {
  const { ops, config: c, blockSize: bs, scratch } = cx;
  const H = c.numHeads, hd = c.headDim, W = c.slidingWindow, r = spec.ratio;
  const lo = Math.max(0, seq.first - W + 1);
  const nRaw = seq.last - lo + 1;
  const nComp = r > 0 ? Math.floor((seq.last + 1) / r) : 0;
  const keys = scratch.f32('attn.keys', (nRaw + nComp) * hd);
  for (let p = lo; p <= seq.last; p++) {
    const src = slotOf(seq, p, bs) * hd;
    keys.set(cache.raw.subarray(src, src + hd), (p - lo) * hd);
  }
  if (nComp > 0 && cache.main) gatherEntries(keys.subarray(nRaw * hd), cache.main, seq, nComp, bs);

  const selected = spec.indexer && nComp > 0 ? selectEntries(cx, cache, seq, nComp, qI!, idxWeights!) : undefined;
  const perQuery = Math.min(W, nRaw) + (selected ? selected.k : nComp);
  const keyIndex = scratch.i32('attn.keyIndex', seq.qLen * perQuery);
  const keyStart = scratch.i32('attn.keyStart', seq.qLen + 1);
  let n = 0;
  for (let i = 0; i < seq.qLen; i++) {
    const p = seq.first + i;
    keyStart[i] = n;
    for (let j = Math.max(lo, p - W + 1); j <= p; j++) keyIndex[n++] = j - lo;
    const visible = r > 0 ? Math.floor((p + 1) / r) : 0;
    if (selected) {
      for (let s = 0; s < selected.k; s++) {
        const t = selected.ids[i * selected.k + s]!;
        if (t >= 0 && t < visible) keyIndex[n++] = nRaw + t;
      }
    } else {
      for (let t = 0; t < visible; t++) keyIndex[n++] = nRaw + t;
    }
  }
  keyStart[seq.qLen] = n;
  const rows = seq.qStart * H * hd, len = seq.qLen * H * hd;
  ops.dsv4SparseAttention({
    q: q.subarray(rows, rows + len), out: o.subarray(rows, rows + len), numQueries: seq.qLen, numHeads: H, headDim: hd,
    keys, keyIndex: keyIndex.subarray(0, n), keyStart, sinks: w.sinks, scale: 1 / Math.sqrt(hd),
  });
}

/** the lightning indexer's top-k entries per query (ids [qLen, k]; -1 = none), lower index first on ties */
function selectEntries(cx: AttentionContext, cache: LayerCache, seq: SequenceView, nComp: number, qI: Float32Array, weights: Float32Array): { ids: Int32Array; k: number } {
  const { ops, config: c, blockSize: bs, scratch } = cx;
  const nI = c.indexHeads, Di = c.indexHeadDim, r = cache.indexer!.layout.ratio;
  const keys = scratch.f32('idx.keys', nComp * Di);
  gatherEntries(keys, cache.indexer!, seq, nComp, bs);
  const visible = scratch.i32('idx.visible', seq.qLen);
  for (let i = 0; i < seq.qLen; i++) visible[i] = Math.floor((seq.first + i + 1) / r);
  const scores = scratch.f32('idx.scores', seq.qLen * nComp);
  const qRows = seq.qStart * nI * Di;
  ops.dsv4IndexerScores({
    q: qI.subarray(qRows, qRows + seq.qLen * nI * Di), weights: weights.subarray(seq.qStart * nI, (seq.qStart + seq.qLen) * nI),
    keys, visible, out: scores, numQueries: seq.qLen, numHeads: nI, headDim: Di, numKeys: nComp,
  });
  const k = Math.min(c.indexTopK, nComp);
  const top = ops.topk(scores, seq.qLen, nComp, k);
  const ids = scratch.i32('idx.ids', seq.qLen * k);
  for (let i = 0; i < seq.qLen * k; i++) ids[i] = Number.isFinite(top.values[i]!) ? top.indices[i]! : -1;
  return { ids, k };
}
