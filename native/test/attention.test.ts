import { describe, expect, it } from 'vitest';
import { nativeOps } from '../src/index.ts';
import type { AttentionArgs } from '../src/ops.ts';
import { expectClose, randomF32, refAttention, rng } from './reference.ts';
import { VARIANTS } from './variants.ts';

interface Setup {
  nHeads: number; nKvHeads: number; headDim: number; headDimV: number; blockSize: number;
  seqs: Array<{ qLen: number; kvLen: number }>;
}

/**
 * Builds a paged cache whose unused slots hold NaN (a kernel reading the wrong slot poisons its output),
 * fills it through storeKv from logical per-sequence K/V, and returns attention args plus the logical data.
 */
function build(variant: 'optimized' | 'portable', s: Setup, seed: number) {
  const ops = nativeOps(variant);
  const r = rng(seed);
  const { nHeads, nKvHeads, headDim, headDimV, blockSize } = s;
  const blocksPer = s.seqs.map((q) => Math.ceil(q.kvLen / blockSize));
  const numBlocks = blocksPer.reduce((a, b) => a + b, 0) + 3;
  const ids = Array.from({ length: numBlocks }, (_, i) => i);
  for (let i = ids.length - 1; i > 0; i--) { const j = Math.floor(r() * (i + 1)); [ids[i], ids[j]] = [ids[j]!, ids[i]!]; }
  const kCache = new Float32Array(numBlocks * blockSize * nKvHeads * headDim).fill(NaN);
  const vCache = new Float32Array(numBlocks * blockSize * nKvHeads * headDimV).fill(NaN);
  const blockTables: number[] = [], blockTableStart: number[] = [];
  const K: Float32Array[] = [], V: Float32Array[] = [];
  let next = 0;
  s.seqs.forEach((q, si) => {
    blockTableStart.push(blockTables.length);
    const mine = ids.slice(next, next + blocksPer[si]!);
    next += blocksPer[si]!;
    blockTables.push(...mine);
    K.push(randomF32(q.kvLen * nKvHeads * headDim, seed * 31 + si));
    V.push(randomF32(q.kvLen * nKvHeads * headDimV, seed * 37 + si));
    // store in two calls (cached prefix, then the new tokens) with a skipped (-1) garbage token mixed in
    for (const [from, to] of [[0, q.kvLen - q.qLen], [q.kvLen - q.qLen, q.kvLen]] as const) {
      const n = to - from;
      const slot = new Int32Array(n + 1).fill(-1);
      const k = new Float32Array((n + 1) * nKvHeads * headDim).fill(1e30);
      const v = new Float32Array((n + 1) * nKvHeads * headDimV).fill(1e30);
      for (let t = 0; t < n; t++) {
        const p = from + t;
        slot[t + 1] = mine[Math.floor(p / blockSize)]! * blockSize + (p % blockSize);
        k.set(K[si]!.subarray(p * nKvHeads * headDim, (p + 1) * nKvHeads * headDim), (t + 1) * nKvHeads * headDim);
        v.set(V[si]!.subarray(p * nKvHeads * headDimV, (p + 1) * nKvHeads * headDimV), (t + 1) * nKvHeads * headDimV);
      }
      ops.storeKv({ kCache, vCache, blockSize, nKvHeads, headDim, headDimV, k, v, slotMapping: slot });
    }
  });
  const nTokens = s.seqs.reduce((a, q) => a + q.qLen, 0);
  const seqQStart = new Int32Array(s.seqs.length);
  for (let i = 1; i < s.seqs.length; i++) seqQStart[i] = seqQStart[i - 1]! + s.seqs[i - 1]!.qLen;
  const args: AttentionArgs = {
    q: randomF32(nTokens * nHeads * headDim, seed + 5), out: new Float32Array(nTokens * nHeads * headDimV).fill(NaN),
    kCache, vCache, blockSize, nKvHeads, headDim, headDimV, nHeads, scale: 1 / Math.sqrt(headDim),
    seqQStart, seqQLen: Int32Array.from(s.seqs.map((q) => q.qLen)), seqKvLen: Int32Array.from(s.seqs.map((q) => q.kvLen)),
    blockTables: Int32Array.from(blockTables), blockTableStart: Int32Array.from(blockTableStart),
  };
  const ref = (extra: Partial<AttentionArgs>, keyLists?: (row: number) => number[] | undefined) => refAttention({
    q: args.q, nHeads, nKvHeads, headDim, headDimV, scale: args.scale, nTokens,
    keys: (si, p, g) => K[si]!.subarray((p * nKvHeads + g) * headDim, (p * nKvHeads + g + 1) * headDim),
    values: (si, p, g) => V[si]!.subarray((p * nKvHeads + g) * headDimV, (p * nKvHeads + g + 1) * headDimV),
    seqs: s.seqs.map((q, i) => ({ qStart: seqQStart[i]!, qLen: q.qLen, kvLen: q.kvLen, blocks: [] })),
    causal: extra.causal ?? true, slidingWindow: extra.slidingWindow ?? 0, sinks: extra.sinks, keyLists,
  });
  return { ops, args, ref, nTokens, K };
}

const SETUPS: Array<[string, Setup]> = [
  ['MHA decode, many sequences', { nHeads: 4, nKvHeads: 4, headDim: 20, headDimV: 20, blockSize: 4, seqs: [{ qLen: 1, kvLen: 1 }, { qLen: 1, kvLen: 9 }, { qLen: 1, kvLen: 70 }] }],
  ['GQA 4:1 prefill with cached prefix', { nHeads: 8, nKvHeads: 2, headDim: 36, headDimV: 36, blockSize: 5, seqs: [{ qLen: 13, kvLen: 29 }, { qLen: 7, kvLen: 7 }] }],
  ['MQA, headDimV != headDim, odd block size', { nHeads: 6, nKvHeads: 1, headDim: 65, headDimV: 24, blockSize: 3, seqs: [{ qLen: 5, kvLen: 41 }, { qLen: 1, kvLen: 100 }] }],
  ['head dims past 64 (wide value chunks), blocks of 8', { nHeads: 4, nKvHeads: 2, headDim: 80, headDimV: 72, blockSize: 8, seqs: [{ qLen: 3, kvLen: 40 }, { qLen: 1, kvLen: 17 }] }],
  ['GQA 2:1 long prefill (several key tiles)', { nHeads: 4, nKvHeads: 2, headDim: 16, headDimV: 16, blockSize: 16, seqs: [{ qLen: 90, kvLen: 90 }] }],
];

describe.each(VARIANTS)('paged attention (%s)', (variant) => {
  for (const [name, setup] of SETUPS) {
    it(`${name}: causal`, () => {
      const { ops, args, ref } = build(variant, setup, name.length);
      ops.attention(args);
      expectClose(args.out, ref({}), 1e-6, 1e-4, name);
    });
  }

  it('sliding window, sinks, and non-causal', () => {
    const [, setup] = SETUPS[1]!;
    for (const [i, extra] of ([
      { slidingWindow: 4 },
      { slidingWindow: 1 },
      { sinks: randomF32(8, 3, 2) },
      { sinks: new Float32Array(8).fill(-Infinity) },
      { causal: false },
      { causal: false, slidingWindow: 6, sinks: randomF32(8, 4) },
    ] as Partial<AttentionArgs>[]).entries()) {
      const { ops, args, ref } = build(variant, setup, 100 + i);
      ops.attention({ ...args, ...extra });
      expectClose(args.out, ref(extra), 1e-6, 1e-4, JSON.stringify(Object.keys(extra)) + i);
    }
  });

  it('a sink only adds to the denominator: outputs shrink but keep their direction', () => {
    const setup: Setup = { nHeads: 2, nKvHeads: 1, headDim: 8, headDimV: 8, blockSize: 4, seqs: [{ qLen: 1, kvLen: 6 }] };
    const a = build(variant, setup, 9), b = build(variant, setup, 9);
    a.ops.attention(a.args);
    b.ops.attention({ ...b.args, sinks: new Float32Array([5, -50]) });
    const ratio = b.args.out[0]! / a.args.out[0]!;
    expect(ratio).toBeGreaterThan(0);
    expect(ratio).toBeLessThan(1);
    for (let d = 0; d < 8; d++) expect(b.args.out[d]! / a.args.out[d]!).toBeCloseTo(ratio, 4);
    for (let d = 8; d < 16; d++) expect(b.args.out[d]).toBeCloseTo(a.args.out[d]!, 6); // exp(-50) ~ 0
  });

  it('explicit key-index lists (sparse), with -1 padding, empty lists and non-causal picks', () => {
    const setup: Setup = { nHeads: 4, nKvHeads: 2, headDim: 12, headDimV: 12, blockSize: 4, seqs: [{ qLen: 3, kvLen: 30 }, { qLen: 2, kvLen: 11 }] };
    const { ops, args, ref, nTokens } = build(variant, setup, 21);
    const lists: number[][] = [[0, 5, 29, -1, 17], [], [3], [10, 0, -1, -1], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]];
    const flat = lists.flat();
    const starts = new Int32Array(nTokens), counts = new Int32Array(nTokens);
    let off = 0;
    lists.forEach((l, r) => { starts[r] = off; counts[r] = l.length; off += l.length; });
    const extra = { keyIndices: Int32Array.from(flat), keyIndexStart: starts, keyIndexCount: counts };
    ops.attention({ ...args, ...extra });
    expectClose(args.out, ref({}, (row) => lists[row]), 1e-6, 1e-4, 'sparse');
    // the empty list gives zeros
    expect(Array.from(args.out.subarray(4 * 12, 8 * 12)).every((v) => v === 0)).toBe(true);
  });

  it('attentionAsync matches attention', async () => {
    const [, setup] = SETUPS[1]!;
    const a = build(variant, setup, 55), b = build(variant, setup, 55);
    a.ops.attention(a.args);
    await b.ops.attentionAsync(b.args);
    expect(Array.from(b.args.out)).toEqual(Array.from(a.args.out));
  });

  it('rejects inconsistent arguments without reading out of bounds', async () => {
    const [, setup] = SETUPS[0]!;
    const { ops, args } = build(variant, setup, 3);
    const bad = (extra: Partial<AttentionArgs>, re: RegExp | (new (...a: never[]) => Error)) => expect(() => ops.attention({ ...args, ...extra })).toThrow(re);
    bad({ blockTables: args.blockTables.map(() => 99) }, /block id 99 is outside/);
    bad({ blockTables: args.blockTables.subarray(0, 3) }, /need .* block-table entries/);
    bad({ seqKvLen: Int32Array.from([1, 9, 0]) }, /must be >= seqQLen/);
    bad({ seqQStart: Int32Array.from([0, 1, 3]) }, /outside q's 3 rows/);
    bad({ seqQLen: Int32Array.from([1, 1]) }, /one entry per sequence/);
    bad({ nHeads: 3 }, RangeError);
    bad({ out: new Float32Array(5) }, /out has 5 elements/);
    bad({ sinks: new Float32Array(3) }, /sinks has 3/);
    bad({ vCache: new Float32Array(4) }, /vCache has 4 elements/);
    bad({ q: new Float64Array(args.q.length) as unknown as Float32Array }, TypeError);
    bad({ keyIndices: new Int32Array([0]) }, /keyIndexStart and keyIndexCount/);
    bad({ keyIndices: new Int32Array([100]), keyIndexStart: new Int32Array(3), keyIndexCount: new Int32Array(3).fill(1) }, /key index 100 is outside/);
    bad({ keyIndices: new Int32Array([0]), keyIndexStart: new Int32Array(3), keyIndexCount: new Int32Array(3).fill(2) }, /keyIndices range/);
    bad({ out: args.q as Float32Array } as Partial<AttentionArgs>, RangeError);
    await expect(ops.attentionAsync({ ...args, scale: NaN })).rejects.toThrow(/scale must be finite/);
  });

  it('storeKv rejects slots outside the cache', () => {
    const kCache = new Float32Array(2 * 4 * 3), vCache = new Float32Array(2 * 4 * 3);
    const k = new Float32Array(3), v = new Float32Array(3);
    const base = { kCache, vCache, blockSize: 4, nKvHeads: 1, headDim: 3, headDimV: 3, k, v };
    nativeOps(variant).storeKv({ ...base, slotMapping: new Int32Array([7]) });
    expect(() => nativeOps(variant).storeKv({ ...base, slotMapping: new Int32Array([8]) })).toThrow(/slotMapping\[0\] = 8 is outside \[0, 8\)/);
    expect(() => nativeOps(variant).storeKv({ ...base, slotMapping: new Int32Array([-2]) })).toThrow(RangeError);
    expect(() => nativeOps(variant).storeKv({ ...base, k: new Float32Array(4), slotMapping: new Int32Array([0]) })).toThrow(/k has 4 elements/);
  });
});
