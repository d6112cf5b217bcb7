/**
 * The native rows of the dsv4 ops (AVX2 and portable C++) against the TypeScript rows they replace, on
 * random inputs of odd sizes shaped like the model's calls; which row the registry picks (AVX2 by
 * priority, portable C++ under PLEXUS_FORCE_PORTABLE_KERNELS, TypeScript only as the fallback); and an HF
 * reference prompt through the runtime with each choice.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPlexus, KernelRegistry, silentLogger, type Checkpoint, type KernelOps } from '@plexus/core';
import { loadCheckpoint } from '@plexus/core/internal';
import { hasOptimizedKernels } from '@plexus/native';
import type { CompressWindowsArgs, IndexerScoresArgs, SparseAttentionArgs } from '../src/kernels/kernel-ops.ts';
import { DSV4_KERNEL_ROWS } from '../src/manifest.ts';
import { DSV4_KERNELS, dsv4KernelRows } from '../src/kernels/rows.ts';
import { checkGreedy } from './support/check-greedy.ts';
import { fixtureDir, readReference } from './support/fixtures.ts';
import { randoms, rng } from './support/random-values.ts';

const PLUGINS_DIR = fileURLToPath(new URL('../../', import.meta.url));

/** the native rows of one op, by path (the AVX2 one only where this CPU runs it) */
function nativeImpls<Op extends 'dsv4SparseAttention' | 'dsv4IndexerScores' | 'dsv4CompressWindows'>(op: Op): Array<[string, KernelOps[Op]]> {
  const ids = DSV4_KERNEL_ROWS[op];
  const wanted = hasOptimizedKernels() ? [ids.avx2, ids.portable] : [ids.portable];
  const impls = dsv4KernelRows().filter((r) => r.op === op && (wanted as string[]).includes(r.row.id)).map((r): [string, KernelOps[Op]] => [r.row.id, r.row.impl as unknown as KernelOps[Op]]);
  expect(impls.map(([id]) => id)).toEqual(wanted);
  return impls;
}

function expectMatch(native: Float32Array, ts: Float32Array, tol: number): void {
  for (let i = 0; i < ts.length; i++) {
    if (!Number.isFinite(ts[i]!)) {
      expect(native[i], `[${i}]`).toBe(ts[i]);
      continue;
    }
    if (!(Math.abs(native[i]! - ts[i]!) <= tol * (1 + Math.abs(ts[i]!)))) expect(native[i], `[${i}]`).toBeCloseTo(ts[i]!, 10);
  }
}

/** like the model's calls: window rows first, then compressed entries chosen per query (some -1 dropped) */
function attentionCase(seed: number, nQ: number, H: number, D: number, window: number, entries: number, picks: number): SparseAttentionArgs {
  const r = rng(seed);
  const numKeys = window + nQ - 1 + entries;
  const keyStart = new Int32Array(nQ + 1);
  const ids: number[] = [];
  for (let i = 0; i < nQ; i++) {
    keyStart[i] = ids.length;
    // query i sits at raw row i + window - 1 and sees its window [i, i + window - 1]
    for (let j = i; j < i + window; j++) ids.push(j);
    for (let s = 0; s < Math.min(picks, entries); s++) ids.push(window + nQ - 1 + Math.floor((r() + 0.5) * entries));
  }
  keyStart[nQ] = ids.length;
  return {
    q: randoms(nQ * H * D, r), out: new Float32Array(nQ * H * D), numQueries: nQ, numHeads: H, headDim: D,
    keys: randoms(numKeys * D, r), keyIndex: Int32Array.from(ids), keyStart, sinks: randoms(H, r, 4), scale: 1 / Math.sqrt(D),
  };
}

describe('native dsv4 rows match the TypeScript rows', () => {
  it.each([
    [1, 1, 1, 1, 0, 0], [1, 3, 13, 5, 3, 2], [5, 7, 67, 9, 17, 5], [3, 16, 512, 16, 40, 8], [2, 5, 130, 4, 0, 0],
  ])('sparse attention: %i queries × %i heads × %i dims, window %i, %i entries (top-%i)', (nQ, H, D, window, entries, picks) => {
    for (const [id, impl] of nativeImpls('dsv4SparseAttention')) {
      const a = attentionCase(nQ * 1000 + H * 10 + D, nQ, H, D, window, entries, picks);
      const ts = new Float32Array(a.out.length);
      DSV4_KERNELS.dsv4SparseAttention.impl({ ...a, out: ts });
      a.out.fill(NaN);
      impl(a);
      expect(id).toMatch(/^dsv4SparseAttention\./);
      expectMatch(a.out, ts, 2e-5);
    }
  });

  it('sparse attention: an empty key list gives zeros, and arrays longer than their shapes keep their tails', () => {
    for (const [, impl] of nativeImpls('dsv4SparseAttention')) {
      const a = attentionCase(5, 3, 3, 11, 4, 6, 3);
      const extra = 7;
      const out = new Float32Array(a.out.length + extra).fill(42);
      const keyStart = Int32Array.of(a.keyStart[0]!, a.keyStart[0]!, a.keyStart[2]!, a.keyStart[3]!, 999);
      const ts = new Float32Array(out.length).fill(42);
      DSV4_KERNELS.dsv4SparseAttention.impl({ ...a, out: ts, keyStart });
      impl({ ...a, out, keyStart });
      expectMatch(out, ts, 2e-5);
      expect(Math.max(...out.subarray(0, 3 * 11).map(Math.abs))).toBe(0);
      expect([...out.subarray(a.out.length)]).toEqual(new Array(extra).fill(42));
    }
  });

  it.each([[1, 1, 1, 1], [4, 3, 7, 19], [17, 8, 24, 45], [3, 5, 128, 131]])('indexer scores: %i queries × %i heads × %i dims over %i keys', (nQ, H, D, T) => {
    const r = rng(nQ * 7 + H * 3 + D + T);
    const base: IndexerScoresArgs = {
      q: randoms(nQ * H * D, r), weights: randoms(nQ * H, r), keys: randoms(T * D, r),
      // as the model computes them: ⌊(p + 1) / ratio⌋ for consecutive positions, plus out-of-range counts
      visible: Int32Array.from({ length: nQ }, (_, i) => (i === 0 ? -2 : i === 1 ? T + 5 : Math.floor((i * T) / nQ))),
      out: new Float32Array(nQ * T), numQueries: nQ, numHeads: H, headDim: D, numKeys: T,
    };
    const ts = new Float32Array(nQ * T);
    DSV4_KERNELS.dsv4IndexerScores.impl({ ...base, out: ts });
    for (const [, impl] of nativeImpls('dsv4IndexerScores')) {
      const out = new Float32Array(nQ * T).fill(NaN);
      impl({ ...base, out });
      expectMatch(out, ts, 2e-5);
    }
  });

  it.each([[1, 4, 1], [3, 8, 33], [2, 128, 20], [1, 16, 512]])('compressor pooling: %i windows × %i candidates × %i dims', (W, C, D) => {
    const r = rng(W * 5 + C + D * 3);
    const base: CompressWindowsArgs = { out: new Float32Array(W * D), kv: randoms(W * C * D, r), score: randoms(W * C * D, r, 10), numWindows: W, numCandidates: C, dim: D };
    // the overlapped first window has no previous-window candidates
    for (let c = 0; c < C / 2; c++) base.score.fill(-Infinity, c * D, (c + 1) * D);
    const ts = new Float32Array(W * D);
    DSV4_KERNELS.dsv4CompressWindows.impl({ ...base, out: ts });
    for (const [, impl] of nativeImpls('dsv4CompressWindows')) {
      const out = new Float32Array(W * D).fill(NaN);
      impl({ ...base, out });
      expectMatch(out, ts, 2e-5);
    }
  });

  it('bad input is a RangeError from the native rows too, as from the TypeScript row', () => {
    const a = attentionCase(9, 2, 2, 8, 3, 4, 2);
    const bad = { ...a, keyIndex: Int32Array.from(a.keyIndex, (k, i) => (i === 1 ? 10_000 : k)) };
    expect(() => DSV4_KERNELS.dsv4SparseAttention.impl(bad)).toThrow(RangeError);
    for (const [, impl] of nativeImpls('dsv4SparseAttention')) expect(() => impl(bad)).toThrow(RangeError);
  });
});

describe('row choice', () => {
  function registry(caps: { avx2: boolean }, forcePortable = false): KernelRegistry {
    const kernels = new KernelRegistry({ capabilities: { arch: 'x64', cores: 2, avx2: caps.avx2, fma: caps.avx2, f16c: caps.avx2 }, forcePortable });
    for (const { op, row } of dsv4KernelRows()) kernels.register(op, row, 'dsv4');
    return kernels;
  }

  it('AVX2 by priority, portable C++ without AVX2 or under PLEXUS_FORCE_PORTABLE_KERNELS, TypeScript when both are off', () => {
    for (const op of ['dsv4SparseAttention', 'dsv4IndexerScores', 'dsv4CompressWindows'] as const) {
      const ids = DSV4_KERNEL_ROWS[op];
      if (hasOptimizedKernels()) expect(registry({ avx2: true }).resolve(op).id).toBe(ids.avx2);
      expect(registry({ avx2: false }).resolve(op).id).toBe(ids.portable);
      expect(registry({ avx2: true }, true).resolve(op).id).toBe(ids.portable);
      const overridden = new KernelRegistry({ capabilities: { arch: 'x64', cores: 2 }, overrides: new Map([[ids.portable, 'off']]) });
      for (const { op: o, row } of dsv4KernelRows()) overridden.register(o, row, 'dsv4');
      expect(overridden.resolve(op).id).toBe(ids.typescript);
    }
  });
});

describe('HF reference through the runtime, per row choice', () => {
  const reference = readReference('dsv4-hf-c16');
  let checkpoint: Checkpoint;
  beforeAll(async () => {
    checkpoint = await loadCheckpoint(fixtureDir('dsv4-hf-c16'));
  });
  afterAll(() => checkpoint?.tensors.close());

  it.each([
    ['default (native AVX2 where available)', {}, hasOptimizedKernels() ? 'avx2' : 'portable'],
    ['PLEXUS_FORCE_PORTABLE_KERNELS (portable C++)', { PLEXUS_FORCE_PORTABLE_KERNELS: '1' }, 'portable'],
  ] as const)('%s: greedy ids and top-5 logprobs within 1e-3', async (_name, env, path) => {
    const plexus = await createPlexus({ bundledPluginsDir: PLUGINS_DIR, env, logger: silentLogger() });
    try {
      const model = await plexus.loadModel(checkpoint);
      const prompt = reference.prompts.reduce((a, b) => (b.input_ids.length > a.input_ids.length ? b : a));
      checkGreedy(model, prompt, 1e-3, 16, plexus.createKvPool.bind(plexus));
      model.dispose();
      const chosen = new Set(plexus.kernels.resolutions().filter((r) => r.op.startsWith('dsv4')).map((r) => r.rowId));
      expect([...chosen].sort()).toEqual(['dsv4CompressWindows', 'dsv4IndexerScores', 'dsv4SparseAttention'].map((op) => `${op}.${path}`));
    } finally {
      plexus.dispose();
    }
  });
});
