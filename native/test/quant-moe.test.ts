/**
 * mxfp4Moe: routed experts with tokens grouped by expert (GEMV experts and GEMM experts in one step),
 * fused SwiGLU with clamp, biases, routing weights and the per-token combine, against a float64 reference
 * built from per-expert checkpoint matrices (DeepSeek-V4 style w1 / w3 / w2).
 */
import { describe, expect, it } from 'vitest';
import { hasOptimizedKernels, mxfp4Pack, quantOps } from '../src/index.ts';
import type { KernelVariant, Mxfp4Matrix, SwigluActivation } from '../src/index.ts';
import { encodeCodes, mxfp4Dequant, randomBytes, randomX, type CheckpointMxfp4 } from './quant-reference.ts';

const VARIANTS: KernelVariant[] = hasOptimizedKernels() ? ['optimized', 'portable'] : ['portable'];
const T = 14, H = 64, I = 96, E = 5;

function matrix(rows: number, cols: number, seed: number): CheckpointMxfp4 {
  return { codes: encodeCodes(randomBytes(rows * cols, seed, 0, 15), rows, cols, 'interleaved'), scales: randomBytes(rows * cols / 32, seed + 1, 119, 124), rows, cols };
}

interface Experts { gate: CheckpointMxfp4[]; up: CheckpointMxfp4[]; down: CheckpointMxfp4[]; gateUp: Mxfp4Matrix; downPacked: Mxfp4Matrix }

function buildExperts(seed: number): Experts {
  const gate = [], up = [], down = [];
  const gateUp = { codes: new Uint8Array(E * 2 * I * H / 2), scales: new Uint8Array(E * 2 * I * H / 32), rows: E * 2 * I, cols: H };
  const downPacked = { codes: new Uint8Array(E * H * I / 2), scales: new Uint8Array(E * H * I / 32), rows: E * H, cols: I };
  for (let e = 0; e < E; e++) {
    const g = matrix(I, H, seed + 10 * e), u = matrix(I, H, seed + 10 * e + 3), d = matrix(H, I, seed + 10 * e + 6);
    gate.push(g); up.push(u); down.push(d);
    expect(mxfp4Pack({ dst: gateUp, srcCodes: g.codes, srcScales: g.scales, rows: I, order: 'interleaved', dstRowStart: e * 2 * I, dstRowStride: 2 })).toBe(-1);
    expect(mxfp4Pack({ dst: gateUp, srcCodes: u.codes, srcScales: u.scales, rows: I, order: 'interleaved', dstRowStart: e * 2 * I + 1, dstRowStride: 2 })).toBe(-1);
    expect(mxfp4Pack({ dst: downPacked, srcCodes: d.codes, srcScales: d.scales, rows: H, order: 'interleaved', dstRowStart: e * H })).toBe(-1);
  }
  return { gate, up, down, gateUp, downPacked };
}

/** experts 0 and 3 get more than 8 tokens (GEMM path), 2 and 4 a few (GEMV), 1 none; token 10 has no slot */
function plan(seed: number) {
  const byExpert: number[][] = [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [], [3], [1, 2, 4, 5, 6, 7, 8, 11, 12], [0, 13]];
  const experts: number[] = [], start = [0], slotToken: number[] = [];
  byExpert.forEach((tokens, e) => {
    if (!tokens.length) return;
    experts.push(e);
    slotToken.push(...tokens);
    start.push(slotToken.length);
  });
  const w = randomX(slotToken.length, seed).map((v) => 0.2 + Math.abs(v));
  return { experts: Int32Array.from(experts), expertStart: Int32Array.from(start), slotToken: Int32Array.from(slotToken), slotWeight: w };
}

function act(g: number, u: number, a: SwigluActivation): number {
  const L = a.limit, alpha = a.alpha ?? 1, off = a.upOffset ?? 0;
  if (L !== undefined) { g = Math.min(g, L); u = Math.max(-L, Math.min(L, u)); }
  return (g / (1 + Math.exp(-alpha * g))) * (u + off);
}

function reference(ex: Experts, x: Float32Array, p: ReturnType<typeof plan>, a: SwigluActivation, gub?: Float32Array, dnb?: Float32Array) {
  const out = new Float64Array(T * H), mag = new Float64Array(T * H);
  const dq = { gate: ex.gate.map((m) => mxfp4Dequant(m, 'interleaved')), up: ex.up.map((m) => mxfp4Dequant(m, 'interleaved')), down: ex.down.map((m) => mxfp4Dequant(m, 'interleaved')) };
  for (let aIdx = 0; aIdx < p.experts.length; aIdx++) {
    const e = p.experts[aIdx]!;
    for (let s = p.expertStart[aIdx]!; s < p.expertStart[aIdx + 1]!; s++) {
      const t = p.slotToken[s]!, wt = p.slotWeight[s]!;
      const h = new Float64Array(I);
      for (let i = 0; i < I; i++) {
        let g = gub ? gub[e * 2 * I + 2 * i]! : 0, u = gub ? gub[e * 2 * I + 2 * i + 1]! : 0;
        for (let k = 0; k < H; k++) { g += dq.gate[e]![i * H + k]! * x[t * H + k]!; u += dq.up[e]![i * H + k]! * x[t * H + k]!; }
        h[i] = act(g, u, a);
      }
      for (let r = 0; r < H; r++) {
        let y = dnb ? dnb[e * H + r]! : 0, m = Math.abs(y);
        for (let i = 0; i < I; i++) { y += dq.down[e]![r * I + i]! * h[i]!; m += Math.abs(dq.down[e]![r * I + i]! * h[i]!); }
        out[t * H + r] += wt * y;
        mag[t * H + r] += Math.abs(wt) * m;
      }
    }
  }
  return { out, mag };
}

describe.each(VARIANTS)('mxfp4Moe (%s)', (variant) => {
  const ex = buildExperts(100);
  const x = randomX(T * H, 5, 0.5);
  const p = plan(6);
  const gub = randomX(E * 2 * I, 7, 0.5), dnb = randomX(E * H, 8, 0.5);
  // the int16 activation path of the AVX2 GEMV experts rounds x and h at ~2^-15 of each 32-block's max
  const rel = variant === 'optimized' ? 2e-4 : 1e-5;

  it.each([
    ['plain SwiGLU', {}],
    ['DeepSeek-V4 clamp (limit 0.8 bites)', { limit: 0.8 }],
    ['gpt-oss activation (α 1.702, up + 1, limit 7)', { limit: 7, alpha: 1.702, upOffset: 1 }],
  ] as Array<[string, SwigluActivation]>)('matches the reference: %s', (_name, a) => {
    for (const withBias of [false, true]) {
      const out = new Float32Array(T * H).fill(NaN);
      quantOps(variant).mxfp4Moe({
        out, x, numTokens: T, hidden: H, intermediate: I, numExperts: E, gateUp: ex.gateUp, down: ex.downPacked,
        ...(withBias ? { gateUpBias: gub, downBias: dnb } : {}), ...p, activation: a,
      });
      const ref = reference(ex, x, p, a, withBias ? gub : undefined, withBias ? dnb : undefined);
      for (let i = 0; i < T * H; i++) {
        expect(Math.abs(out[i]! - ref.out[i]!), `token ${Math.floor(i / H)} row ${i % H}`).toBeLessThanOrEqual(rel * ref.mag[i]! + 1e-7);
      }
      // the token without a slot is exactly zero
      for (let r = 0; r < H; r++) expect(out[10 * H + r]).toBe(0);
    }
  });

  it('gives the same result whether an expert runs as GEMV or as GEMM', () => {
    // expert 0's ten tokens in one step (GEMM) vs in two steps of five (GEMV)
    const tokens = Array.from({ length: 10 }, (_, i) => i);
    const run = (ts: number[]) => {
      const out = new Float32Array(T * H);
      quantOps(variant).mxfp4Moe({
        out, x, numTokens: T, hidden: H, intermediate: I, numExperts: E, gateUp: ex.gateUp, down: ex.downPacked,
        experts: Int32Array.of(0), expertStart: Int32Array.of(0, ts.length), slotToken: Int32Array.from(ts), slotWeight: new Float32Array(ts.length).fill(1),
      });
      return out;
    };
    const all = run(tokens), a = run(tokens.slice(0, 5)), b = run(tokens.slice(5));
    for (let t = 0; t < 10; t++) {
      const part = t < 5 ? a : b;
      for (let r = 0; r < H; r++) {
        const want = part[t * H + r]!;
        expect(Math.abs(all[t * H + r]! - want)).toBeLessThanOrEqual(5 * rel * (Math.abs(want) + 1));
      }
    }
  });

  it('rejects a malformed plan with a RangeError naming the field', () => {
    const base = { out: new Float32Array(T * H), x, numTokens: T, hidden: H, intermediate: I, numExperts: E, gateUp: ex.gateUp, down: ex.downPacked };
    const ops = quantOps(variant);
    expect(() => ops.mxfp4Moe({ ...base, experts: Int32Array.of(3, 1), expertStart: Int32Array.of(0, 1, 2), slotToken: Int32Array.of(0, 1), slotWeight: new Float32Array(2) })).toThrow(/strictly ascending/);
    expect(() => ops.mxfp4Moe({ ...base, experts: Int32Array.of(5), expertStart: Int32Array.of(0, 1), slotToken: Int32Array.of(0), slotWeight: new Float32Array(1) })).toThrow(/experts\[0\] = 5/);
    expect(() => ops.mxfp4Moe({ ...base, experts: Int32Array.of(1), expertStart: Int32Array.of(0, 1), slotToken: Int32Array.of(T), slotWeight: new Float32Array(1) })).toThrow(/slotToken\[0\]/);
    expect(() => ops.mxfp4Moe({ ...base, experts: Int32Array.of(1), expertStart: Int32Array.of(0, 2), slotToken: Int32Array.of(0), slotWeight: new Float32Array(1) })).toThrow(/number of slots/);
    expect(() => ops.mxfp4Moe({ ...base, experts: Int32Array.of(1), expertStart: Int32Array.of(0, 1), slotToken: Int32Array.of(0), slotWeight: new Float32Array(1), activation: { limit: -1 } })).toThrow(/limit/);
  });
});
