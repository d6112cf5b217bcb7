import { describe, expect, it } from 'vitest';
import { computeRopeInvFreq, nativeOps } from '../src/index.ts';
import { expectClose, randomF32, refRope, rng } from './reference.ts';
import { VARIANTS } from './variants.ts';

function positions(n: number, seed: number, max = 200_000): Int32Array {
  const r = rng(seed);
  return Int32Array.from({ length: n }, (_, i) => (i === 0 ? 0 : Math.floor(r() * max)));
}

describe.each(VARIANTS)('rope (%s)', (variant) => {
  const ops = nativeOps(variant);
  const cases = [
    // nHeads, headDim, rotaryDim, rotaryOffset
    [1, 2, 2, 0], [3, 10, 10, 0], [5, 64, 64, 0], [2, 128, 64, 0], [4, 36, 22, 14], [7, 100, 100, 0], [2, 72, 16, 56],
  ] as const;

  for (const layout of ['neox', 'interleaved'] as const) {
    it(`${layout}: full and partial rotation, offsets, mscale and inverse match the reference`, () => {
      let seed = layout === 'neox' ? 1 : 500;
      for (const [nHeads, headDim, rotaryDim, rotaryOffset] of cases) {
        for (const inverse of [false, true]) {
          const nTokens = 3;
          const pos = positions(nTokens, seed++);
          const { invFreq } = computeRopeInvFreq({ type: 'default', theta: 10_000, rotaryDim });
          const mscale = inverse ? 1 : 1.25;
          const x = randomF32(nTokens * nHeads * headDim, seed++);
          const expected = refRope(x, pos, nHeads, headDim, rotaryDim, rotaryOffset, invFreq, mscale, layout, inverse);
          ops.rope({ x, positions: pos, nHeads, headDim, rotaryDim, rotaryOffset, invFreq, mscale, layout, inverse });
          expectClose(x, expected, 1e-6, 1e-5, `${layout} h=${nHeads} d=${headDim} r=${rotaryDim}@${rotaryOffset} inv=${inverse}`);
        }
      }
    });
  }

  it('inverse undoes the rotation, and dims outside the rotary slice are untouched', () => {
    const nHeads = 3, headDim = 40, rotaryDim = 24, rotaryOffset = 16, n = 4;
    const x = randomF32(n * nHeads * headDim, 77);
    const orig = Float32Array.from(x);
    const pos = positions(n, 78, 5000);
    const { invFreq } = computeRopeInvFreq({ type: 'default', theta: 10_000, rotaryDim });
    ops.rope({ x, positions: pos, nHeads, headDim, rotaryDim, rotaryOffset, invFreq, layout: 'interleaved' });
    for (let t = 0; t < n * nHeads; t++) {
      expect(Array.from(x.subarray(t * headDim, t * headDim + rotaryOffset))).toEqual(Array.from(orig.subarray(t * headDim, t * headDim + rotaryOffset)));
    }
    ops.rope({ x, positions: pos, nHeads, headDim, rotaryDim, rotaryOffset, invFreq, layout: 'interleaved', inverse: true });
    expectClose(x, orig, 1e-6, 1e-5, 'round trip');
  });

  it('rejects inconsistent shapes', () => {
    const base = { x: new Float32Array(16), positions: new Int32Array(2), nHeads: 1, headDim: 8, rotaryDim: 8, invFreq: new Float32Array(4), layout: 'neox' as const };
    ops.rope(base);
    expect(() => ops.rope({ ...base, rotaryDim: 7, invFreq: new Float32Array(3) })).toThrow(/even/);
    expect(() => ops.rope({ ...base, rotaryOffset: 2 })).toThrow(/exceeds headDim/);
    expect(() => ops.rope({ ...base, invFreq: new Float32Array(3) })).toThrow(/invFreq has 3/);
    expect(() => ops.rope({ ...base, x: new Float32Array(15) })).toThrow(RangeError);
    expect(() => ops.rope({ ...base, layout: 'gptj' as 'neox' })).toThrow(TypeError);
  });
});

describe('computeRopeInvFreq (HF modeling_rope_utils semantics)', () => {
  const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

  it('default: theta^(-2i/d)', () => {
    const { invFreq, mscale } = computeRopeInvFreq({ type: 'default', theta: 1_000_000, rotaryDim: 128 });
    expect(invFreq).toHaveLength(64);
    expect(mscale).toBe(1);
    invFreq.forEach((v, i) => expect(rel(v, 1_000_000 ** (-(2 * i) / 128))).toBeLessThan(2e-7));
  });

  it('linear divides by the factor', () => {
    const d = computeRopeInvFreq({ type: 'default', theta: 10_000, rotaryDim: 64 }).invFreq;
    const l = computeRopeInvFreq({ type: 'linear', theta: 10_000, rotaryDim: 64, factor: 4 }).invFreq;
    l.forEach((v, i) => expect(rel(v, d[i]! / 4)).toBeLessThan(2e-7));
  });

  it('llama3 (Llama 3.1 parameters): high frequencies kept, low divided by factor, smooth band between', () => {
    const cfg = { type: 'llama3' as const, theta: 500_000, rotaryDim: 128, factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192 };
    const { invFreq, mscale } = computeRopeInvFreq(cfg);
    expect(mscale).toBe(1);
    let kept = 0, scaled = 0, smooth = 0;
    for (let i = 0; i < 64; i++) {
      const f = 500_000 ** (-(2 * i) / 128);
      const wavelen = (2 * Math.PI) / f;
      let want: number;
      if (wavelen < 8192 / 4) { want = f; kept++; } else if (wavelen > 8192) { want = f / 8; scaled++; } else {
        const s = (8192 / wavelen - 1) / (4 - 1);
        want = (1 - s) * (f / 8) + s * f;
        smooth++;
      }
      expect(rel(invFreq[i]!, want)).toBeLessThan(1e-6);
    }
    expect(kept).toBeGreaterThan(0);
    expect(scaled).toBeGreaterThan(0);
    expect(smooth).toBeGreaterThan(0);
  });

  it('yarn: ramp between interpolation and extrapolation, attention factor 0.1 ln(s) + 1', () => {
    const theta = 1_000_000, dim = 128, factor = 4, orig = 32_768;
    const { invFreq, mscale } = computeRopeInvFreq({ type: 'yarn', theta, rotaryDim: dim, factor, originalMaxPositionEmbeddings: orig });
    expect(mscale).toBeCloseTo(0.1 * Math.log(4) + 1, 12);
    const corr = (rot: number) => (dim * Math.log(orig / (rot * 2 * Math.PI))) / (2 * Math.log(theta));
    const lo = Math.max(Math.floor(corr(32)), 0), hi = Math.min(Math.ceil(corr(1)), dim - 1);
    let interp = 0, extrap = 0;
    for (let i = 0; i < dim / 2; i++) {
      const pf = theta ** ((2 * i) / dim);
      const ramp = Math.min(1, Math.max(0, (i - lo) / (hi - lo)));
      const want = (1 / (factor * pf)) * ramp + (1 / pf) * (1 - ramp);
      expect(rel(invFreq[i]!, want)).toBeLessThan(1e-6);
      if (ramp === 0) extrap++;
      if (ramp === 1) interp++;
    }
    expect(interp).toBeGreaterThan(0);
    expect(extrap).toBeGreaterThan(0);
  });

  it('yarn: DeepSeek mscale / mscale_all_dim, factor from context lengths, explicit attention factor', () => {
    const base = { type: 'yarn' as const, theta: 10_000, rotaryDim: 64, originalMaxPositionEmbeddings: 4096 };
    const m = (s: number, k: number) => (s <= 1 ? 1 : 0.1 * k * Math.log(s) + 1);
    expect(computeRopeInvFreq({ ...base, factor: 40, mscale: 1, mscaleAllDim: 1 }).mscale).toBeCloseTo(1, 12);
    expect(computeRopeInvFreq({ ...base, factor: 40, mscale: 1, mscaleAllDim: 0.707 }).mscale).toBeCloseTo(m(40, 1) / m(40, 0.707), 12);
    expect(computeRopeInvFreq({ ...base, factor: 40, mscale: 1 }).mscale).toBeCloseTo(m(40, 1), 12);
    expect(computeRopeInvFreq({ ...base, maxPositionEmbeddings: 16_384 }).mscale).toBeCloseTo(m(4, 1), 12);
    expect(computeRopeInvFreq({ ...base, factor: 8, attentionFactor: 0.5 }).mscale).toBe(0.5);
    // untruncated range differs from the truncated one
    const t = computeRopeInvFreq({ ...base, factor: 8 }).invFreq;
    const u = computeRopeInvFreq({ ...base, factor: 8, truncate: false }).invFreq;
    expect(Array.from(t)).not.toEqual(Array.from(u));
  });

  it('dynamic NTK leaves frequencies alone within the trained length and stretches the base beyond', () => {
    const cfg = { type: 'dynamic' as const, theta: 10_000, rotaryDim: 64, factor: 2, maxPositionEmbeddings: 2048 };
    const d = computeRopeInvFreq({ type: 'default', theta: 10_000, rotaryDim: 64 }).invFreq;
    expect(Array.from(computeRopeInvFreq(cfg).invFreq)).toEqual(Array.from(d));
    const long = computeRopeInvFreq({ ...cfg, seqLen: 8192 }).invFreq;
    const base = 10_000 * ((2 * 8192) / 2048 - 1) ** (64 / 62);
    long.forEach((v, i) => expect(rel(v, base ** (-(2 * i) / 64))).toBeLessThan(1e-6));
  });

  it('rejects bad configs with a clear message', () => {
    expect(() => computeRopeInvFreq({ type: 'default', theta: 10_000, rotaryDim: 7 })).toThrow(/even/);
    expect(() => computeRopeInvFreq({ type: 'linear', theta: 10_000, rotaryDim: 8 })).toThrow(/factor must be a positive number/);
    expect(() => computeRopeInvFreq({ type: 'llama3', theta: 10_000, rotaryDim: 8, factor: 8, lowFreqFactor: 1, highFreqFactor: 4 })).toThrow(/originalMaxPositionEmbeddings/);
    expect(() => computeRopeInvFreq({ type: 'longrope' as 'yarn', theta: 10_000, rotaryDim: 8 })).toThrow(/unsupported rope type 'longrope'/);
  });
});
