/** The per-step activation buffers of a dense decoder, sized for T tokens and reused across steps. */
import type { DenseConfig } from '../config/dense-config.ts';
import { GrowableF32 } from './growable.ts';

export interface ActivationViews {
  /** residual stream [T, hidden] */
  residual: Float32Array;
  /** normed hidden states [T, hidden] */
  normed: Float32Array;
  /** projections [T, heads × headDim] before q/k norm */
  qProj: Float32Array;
  kProj: Float32Array;
  /** after q/k norm (the same arrays as qProj/kProj when the model has none) */
  q: Float32Array;
  k: Float32Array;
  v: Float32Array;
  /** attention output [T, heads × headDim] */
  attn: Float32Array;
  /** o_proj / down_proj output before the residual add [T, hidden] */
  blockOut: Float32Array;
  gate: Float32Array;
  up: Float32Array;
  act: Float32Array;
}

export class Activations {
  private readonly bufs = Array.from({ length: 12 }, () => new GrowableF32());
  private lastT = -1;
  private cached: ActivationViews | undefined;

  constructor(private readonly cfg: DenseConfig) {}

  forTokens(T: number): ActivationViews {
    if (T === this.lastT && this.cached) return this.cached;
    const { hiddenSize: H, headDim: D, numHeads, numKvHeads, intermediateSize: I, qkNorm } = this.cfg;
    const b = this.bufs;
    const qProj = b[2]!.take(T * numHeads * D);
    const kProj = b[3]!.take(T * numKvHeads * D);
    this.cached = {
      residual: b[0]!.take(T * H),
      normed: b[1]!.take(T * H),
      qProj,
      kProj,
      q: qkNorm ? b[4]!.take(T * numHeads * D) : qProj,
      k: qkNorm ? b[5]!.take(T * numKvHeads * D) : kProj,
      v: b[6]!.take(T * numKvHeads * D),
      attn: b[7]!.take(T * numHeads * D),
      blockOut: b[8]!.take(T * H),
      gate: b[9]!.take(T * I),
      up: b[10]!.take(T * I),
      act: b[11]!.take(T * I),
    };
    this.lastT = T;
    return this.cached;
  }
}
