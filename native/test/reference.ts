/**
 * Plain TypeScript reference implementations (float64 accumulation) and test-data helpers.
 * Deliberately naive: every op written straight from its definition, sharing no code with the kernels.
 */
import { Tensor } from '../src/tensor.ts';
// deterministic test data (mulberry32) so failures reproduce
import { mulberry32 as rng, randomF32 } from '../../test/support/seeded-random.ts';

export { rng, randomF32 };

// ---- half-precision encodings (round to nearest even), independent of the C++ conversions
const f32buf = new Float32Array(1);
const u32buf = new Uint32Array(f32buf.buffer);

export function toBf16(x: number): number {
  f32buf[0] = x;
  const u = u32buf[0]!;
  if ((u & 0x7f800000) === 0x7f800000 && (u & 0x7fffff) !== 0) return (u >>> 16) | 0x40; // NaN stays NaN
  return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
}

export function fromBf16(h: number): number {
  u32buf[0] = h << 16;
  return f32buf[0]!;
}

export function fromF16(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

function roundHalfEven(q: number): number {
  const fl = Math.floor(q);
  const d = q - fl;
  return d > 0.5 || (d === 0.5 && fl % 2 === 1) ? fl + 1 : fl;
}

export function toF16(x: number): number {
  if (Number.isNaN(x)) return 0x7e00;
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a >= 65520) return sign | 0x7c00;
  if (a < 2 ** -14) return sign | roundHalfEven(a / 2 ** -24); // subnormal (1024 rounds up to the smallest normal)
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  if (2 ** (e + 1) <= a) e++;
  let m = roundHalfEven((a / 2 ** e - 1) * 1024);
  if (m === 1024) { m = 0; e++; }
  if (e > 15) return sign | 0x7c00;
  return sign | ((e + 15) << 10) | m;
}

export type WeightDType = 'F32' | 'BF16' | 'F16';

/** A weight tensor of the given dtype plus the exact f32 values the kernel must see. */
export function makeWeight(dtype: WeightDType, shape: number[], seed: number, scale = 1): { tensor: Tensor; values: Float64Array } {
  const n = shape.reduce((a, b) => a * b, 1);
  const src = randomF32(n, seed, scale);
  const values = new Float64Array(n);
  if (dtype === 'F32') {
    for (let i = 0; i < n; i++) values[i] = src[i]!;
    return { tensor: Tensor.fromF32(src, shape), values };
  }
  // odd byte offset inside a larger buffer would be invalid; use an even, non-zero offset to test offsets
  const buf = new ArrayBuffer(2 * n + 6);
  const u16 = new Uint16Array(buf, 6, n);
  for (let i = 0; i < n; i++) {
    const h = dtype === 'BF16' ? toBf16(src[i]!) : toF16(src[i]!);
    u16[i] = h;
    values[i] = dtype === 'BF16' ? fromBf16(h) : fromF16(h);
  }
  return { tensor: new Tensor(dtype, shape, buf, 6), values };
}

// ---- ops

export function refMatmul(x: Float32Array, w: Float64Array, M: number, N: number, K: number, bias?: Float32Array): Float64Array {
  const out = new Float64Array(M * N);
  for (let m = 0; m < M; m++)
    for (let n = 0; n < N; n++) {
      let s = bias ? bias[n]! : 0;
      for (let k = 0; k < K; k++) s += x[m * K + k]! * w[n * K + k]!;
      out[m * N + n] = s;
    }
  return out;
}

export function refRmsnorm(x: Float32Array, w: Float64Array | null, rows: number, dim: number, eps: number): Float64Array {
  const out = new Float64Array(rows * dim);
  for (let r = 0; r < rows; r++) {
    let ss = 0;
    for (let i = 0; i < dim; i++) ss += x[r * dim + i]! ** 2;
    const inv = 1 / Math.sqrt(ss / dim + eps);
    for (let i = 0; i < dim; i++) out[r * dim + i] = x[r * dim + i]! * inv * (w ? w[i]! : 1);
  }
  return out;
}

export function refSoftmax(x: Float32Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    let m = -Infinity;
    for (let i = 0; i < cols; i++) m = Math.max(m, x[r * cols + i]!);
    if (m === -Infinity) continue;
    let s = 0;
    for (let i = 0; i < cols; i++) s += Math.exp(x[r * cols + i]! - m);
    for (let i = 0; i < cols; i++) out[r * cols + i] = Math.exp(x[r * cols + i]! - m) / s;
  }
  return out;
}

export function refSwiglu(gate: Float32Array, up: Float32Array, limit?: number): Float64Array {
  const out = new Float64Array(gate.length);
  for (let i = 0; i < gate.length; i++) {
    let g = gate[i]!, u = up[i]!;
    if (limit !== undefined) { g = Math.min(g, limit); u = Math.min(Math.max(u, -limit), limit); }
    out[i] = (g / (1 + Math.exp(-g))) * u;
  }
  return out;
}

/** erf by its Maclaurin series / continued fraction, accurate to ~1e-15 (JS has no Math.erf). */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 2.5) {
    let sum = 0, term = ax, n = 0;
    while (Math.abs(term) > 1e-17 * Math.abs(sum) || n < 3) {
      sum += term / (2 * n + 1);
      n++;
      term *= (-ax * ax) / n;
      if (n > 200) break;
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc continued fraction (Lentz) for large |x|
  let fcf = ax, c = ax, d = 0;
  for (let k = 1; k < 200; k++) {
    const an = k / 2;
    d = ax + an * d; d = 1 / d;
    c = ax + an / c;
    const delta = c * d;
    fcf *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / fcf;
  return Math.sign(x) * (1 - erfc);
}

export function refGelu(x: Float32Array, approximate: 'none' | 'tanh'): Float64Array {
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    out[i] = approximate === 'tanh'
      ? 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)))
      : 0.5 * v * (1 + erf(v / Math.SQRT2));
  }
  return out;
}

export function refRope(x: Float32Array, positions: Int32Array, nHeads: number, headDim: number, rotaryDim: number,
  rotaryOffset: number, invFreq: Float32Array, mscale: number, layout: 'neox' | 'interleaved', inverse: boolean): Float64Array {
  const out = Float64Array.from(x);
  const half = rotaryDim / 2;
  for (let t = 0; t < positions.length; t++)
    for (let h = 0; h < nHeads; h++) {
      const base = (t * nHeads + h) * headDim + rotaryOffset;
      for (let i = 0; i < half; i++) {
        const ang = Math.fround(positions[t]! * invFreq[i]!) * (inverse ? -1 : 1);
        const c = Math.cos(ang) * mscale, s = Math.sin(ang) * mscale;
        const [a, b] = layout === 'neox' ? [base + i, base + half + i] : [base + 2 * i, base + 2 * i + 1];
        const x1 = x[a]!, x2 = x[b]!;
        out[a] = x1 * c - x2 * s;
        out[b] = x2 * c + x1 * s;
      }
    }
  return out;
}

export function refArgmax(x: Float32Array, rows: number, cols: number): Int32Array {
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = -Infinity, idx = 0;
    for (let i = 0; i < cols; i++) if (x[r * cols + i]! > best) { best = x[r * cols + i]!; idx = i; }
    out[r] = idx;
  }
  return out;
}

export function refTopk(x: Float32Array, rows: number, cols: number, k: number): { indices: Int32Array; values: Float32Array } {
  const indices = new Int32Array(rows * k), values = new Float32Array(rows * k);
  const key = (v: number) => (Number.isNaN(v) ? -Infinity : v);
  for (let r = 0; r < rows; r++) {
    const order = Array.from({ length: cols }, (_, i) => i);
    order.sort((a, b) => key(x[r * cols + b]!) - key(x[r * cols + a]!) || a - b);
    for (let j = 0; j < k; j++) { indices[r * k + j] = order[j]!; values[r * k + j] = x[r * cols + order[j]!]!; }
  }
  return { indices, values };
}

export interface RefAttentionSeq { qStart: number; qLen: number; kvLen: number; blocks: number[] }

/** Dense softmax attention straight from the definition, keys read from a logical (unpaged) layout. */
export function refAttention(opts: {
  q: Float32Array; nHeads: number; nKvHeads: number; headDim: number; headDimV: number; scale: number;
  keys: (seq: number, pos: number, kvHead: number) => Float32Array; // length headDim
  values: (seq: number, pos: number, kvHead: number) => Float32Array; // length headDimV
  seqs: RefAttentionSeq[]; causal: boolean; slidingWindow: number; sinks?: Float32Array;
  keyLists?: (row: number) => number[] | undefined; nTokens: number;
}): Float64Array {
  const { nHeads, nKvHeads, headDim, headDimV } = opts;
  const out = new Float64Array(opts.nTokens * nHeads * headDimV);
  const G = nHeads / nKvHeads;
  opts.seqs.forEach((s, si) => {
    for (let i = 0; i < s.qLen; i++) {
      const row = s.qStart + i;
      const pos = s.kvLen - s.qLen + i;
      let keys: number[];
      const list = opts.keyLists?.(row);
      if (list) keys = list.filter((k) => k >= 0);
      else {
        keys = [];
        for (let j = 0; j < s.kvLen; j++) {
          if (opts.causal && j > pos) continue;
          if (opts.slidingWindow > 0 && j <= pos - opts.slidingWindow) continue;
          keys.push(j);
        }
      }
      for (let h = 0; h < nHeads; h++) {
        const g = Math.floor(h / G);
        const logits = keys.map((j) => {
          const k = opts.keys(si, j, g);
          let d = 0;
          for (let e = 0; e < headDim; e++) d += opts.q[(row * nHeads + h) * headDim + e]! * k[e]!;
          return d * opts.scale;
        });
        if (keys.length === 0) continue;
        let m = Math.max(...logits);
        const sink = opts.sinks ? opts.sinks[h]! : -Infinity;
        m = Math.max(m, sink);
        const p = logits.map((l) => Math.exp(l - m));
        const denom = p.reduce((a, b) => a + b, 0) + Math.exp(sink - m);
        keys.forEach((j, t) => {
          const v = opts.values(si, j, g);
          for (let e = 0; e < headDimV; e++) out[(row * nHeads + h) * headDimV + e]! += (p[t]! / denom) * v[e]!;
        });
      }
    }
  });
  return out;
}

// ---- assertions

/** max |a - b| / (atol + rtol * |b|) <= 1, reporting the worst index */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, atol: number, rtol: number, what = ''): void {
  if (actual.length !== expected.length) throw new Error(`${what}: length ${actual.length} != ${expected.length}`);
  let worst = 0, at = -1;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!, e = expected[i]!;
    if (Number.isNaN(a) !== Number.isNaN(e)) throw new Error(`${what}: NaN mismatch at ${i}: ${a} vs ${e}`);
    if (Number.isNaN(a)) continue;
    if (a === e) continue;
    const r = Math.abs(a - e) / (atol + rtol * Math.abs(e));
    if (!(r <= worst)) { worst = r; at = i; }
  }
  if (worst > 1) throw new Error(`${what}: element ${at} is ${actual[at]} but expected ${expected[at]} (error ${worst.toFixed(2)}× the tolerance)`);
}
