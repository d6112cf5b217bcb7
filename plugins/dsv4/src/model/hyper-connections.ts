/**
 * Manifold-constrained hyper-connections (mHC). The residual is n = hc_mult streams per token [n, D].
 *  pre:  m = (fn · flat(X)) / rms(flat(X)) → pre_j = σ(m_j·s0 + b_j) + ε, post_j = 2σ(m_{n+j}·s1 + b_{n+j}),
 *        C = Sinkhorn(softmax_row(m_comb·s2 + b_comb) + ε) (doubly stochastic); the sub-layer input is Σ_j pre_j X_j
 *  post: X'_c = post_c · f + Σ_j C[j, c] · X_j   (sum over the FIRST index of C)
 *  head: y = Σ_j (σ(m_j·s + b_j) + ε) X_j  (no Sinkhorn, no post)
 * The 24 (or (2+n)·n) mixes per token are one matmul; the rest is O(n²) per token in TypeScript.
 */
import type { KernelOps } from '@plexus/core';
import type { HcWeights } from '../weights/dsv4-weights.ts';
import type { Scratch } from './scratch.ts';

export interface HcMix {
  /** [T, n] */
  readonly post: Float32Array;
  /** [T, n, n], comb[t][j][c] */
  readonly comb: Float32Array;
}

export class HyperConnections {
  readonly mixes: number;

  constructor(
    private readonly ops: KernelOps,
    readonly streams: number,
    readonly hidden: number,
    private readonly sinkhornIters: number,
    private readonly hcEps: number,
    private readonly normEps: number,
  ) {
    this.mixes = (2 + streams) * streams;
  }

  /** rows of m = fn · flat(X_t) · rsqrt(mean(X_t²) + eps), for T tokens */
  private mix(out: Float32Array, X: Float32Array, fn: HcWeights['fn'], T: number): void {
    const n = this.streams, width = n * this.hidden, k = fn.shape[0]!;
    this.ops.matmul({ out, x: X, w: fn, M: T });
    for (let t = 0; t < T; t++) {
      let ss = 0;
      for (let i = t * width; i < (t + 1) * width; i++) ss += X[i]! * X[i]!;
      const r = 1 / Math.sqrt(ss / width + this.normEps);
      for (let j = 0; j < k; j++) out[t * k + j]! *= r;
    }
  }

  /** collapsed[T, D] = Σ_j pre_j X_j; fills `mix` for post() */
  pre(collapsed: Float32Array, X: Float32Array, w: HcWeights, T: number, mix: HcMix, scratch: Scratch): void {
    const n = this.streams, D = this.hidden, K = this.mixes;
    const m = scratch.f32('hc.mix', T * K);
    this.mix(m, X, w.fn, T);
    const [s0, s1, s2] = [w.scale[0]!, w.scale[1]!, w.scale[2]!];
    const b = w.base;
    const pre = new Float64Array(n);
    const comb = new Float64Array(n * n);
    for (let t = 0; t < T; t++) {
      const mt = t * K;
      for (let j = 0; j < n; j++) {
        pre[j] = sigmoid(m[mt + j]! * s0 + b[j]!) + this.hcEps;
        mix.post[t * n + j] = 2 * sigmoid(m[mt + n + j]! * s1 + b[n + j]!);
      }
      for (let j = 0; j < n; j++) {
        let max = -Infinity;
        for (let c = 0; c < n; c++) {
          const v = m[mt + 2 * n + j * n + c]! * s2 + b[2 * n + j * n + c]!;
          comb[j * n + c] = v;
          if (v > max) max = v;
        }
        let sum = 0;
        for (let c = 0; c < n; c++) sum += (comb[j * n + c] = Math.exp(comb[j * n + c]! - max));
        for (let c = 0; c < n; c++) comb[j * n + c] = comb[j * n + c]! / sum + this.hcEps;
      }
      normalizeColumns(comb, n, this.hcEps);
      for (let it = 1; it < this.sinkhornIters; it++) {
        normalizeRows(comb, n, this.hcEps);
        normalizeColumns(comb, n, this.hcEps);
      }
      for (let i = 0; i < n * n; i++) mix.comb[t * n * n + i] = comb[i]!;
      const out = t * D, xt = t * n * D;
      for (let d = 0; d < D; d++) {
        let acc = 0;
        for (let j = 0; j < n; j++) acc += pre[j]! * X[xt + j * D + d]!;
        collapsed[out + d] = acc;
      }
    }
  }

  /** Xout[T, n, D] = post ⊗ f + Cᵀ · Xin */
  post(Xout: Float32Array, f: Float32Array, Xin: Float32Array, mix: HcMix, T: number): void {
    const n = this.streams, D = this.hidden;
    for (let t = 0; t < T; t++) {
      const xt = t * n * D, ft = t * D, ct = t * n * n;
      for (let c = 0; c < n; c++) {
        const p = mix.post[t * n + c]!;
        const o = xt + c * D;
        for (let d = 0; d < D; d++) {
          let acc = p * f[ft + d]!;
          for (let j = 0; j < n; j++) acc += mix.comb[ct + j * n + c]! * Xin[xt + j * D + d]!;
          Xout[o + d] = acc;
        }
      }
    }
  }

  /** y[T, D] = Σ_j (σ(m_j·s + b_j) + ε) X_j */
  head(y: Float32Array, X: Float32Array, w: HcWeights, T: number, scratch: Scratch): void {
    const n = this.streams, D = this.hidden;
    const m = scratch.f32('hc.headMix', T * n);
    this.mix(m, X, w.fn, T);
    const s = w.scale[0]!;
    const pre = new Float64Array(n);
    for (let t = 0; t < T; t++) {
      for (let j = 0; j < n; j++) pre[j] = sigmoid(m[t * n + j]! * s + w.base[j]!) + this.hcEps;
      for (let d = 0; d < D; d++) {
        let acc = 0;
        for (let j = 0; j < n; j++) acc += pre[j]! * X[t * n * D + j * D + d]!;
        y[t * D + d] = acc;
      }
    }
  }
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** C[j, c] /= (Σ_j C[j, c] + ε) */
function normalizeColumns(C: Float64Array, n: number, eps: number): void {
  for (let c = 0; c < n; c++) {
    let sum = 0;
    for (let j = 0; j < n; j++) sum += C[j * n + c]!;
    const inv = 1 / (sum + eps);
    for (let j = 0; j < n; j++) C[j * n + c]! *= inv;
  }
}

/** C[j, c] /= (Σ_c C[j, c] + ε) */
function normalizeRows(C: Float64Array, n: number, eps: number): void {
  for (let j = 0; j < n; j++) {
    let sum = 0;
    for (let c = 0; c < n; c++) sum += C[j * n + c]!;
    const inv = 1 / (sum + eps);
    for (let c = 0; c < n; c++) C[j * n + c]! *= inv;
  }
}
