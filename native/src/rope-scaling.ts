/**
 * Rotary inverse frequencies and the cos/sin multiplier (attention factor) for the RoPE scaling variants,
 * following HF transformers' modeling_rope_utils (v5 semantics). Arithmetic is rounded to float32 at the
 * same steps as the torch code, so the table matches HF's `inv_freq` to the last bit or one ulp.
 * The result feeds NativeOps.rope: { invFreq, mscale }.
 */
export type RopeScalingType = 'default' | 'linear' | 'dynamic' | 'llama3' | 'yarn';

export interface RopeScalingConfig {
  /** HF `rope_type` (`type` in older configs); 'default' when rope_scaling is absent */
  type: RopeScalingType;
  /** rope_theta (base) */
  theta: number;
  /** rotated dims = head_dim * partial_rotary_factor; even */
  rotaryDim: number;
  factor?: number;
  /** llama3 */
  lowFreqFactor?: number;
  highFreqFactor?: number;
  /** llama3 (required), yarn (defaults to maxPositionEmbeddings) */
  originalMaxPositionEmbeddings?: number;
  /** yarn: factor defaults to maxPositionEmbeddings / originalMaxPositionEmbeddings; dynamic: base length */
  maxPositionEmbeddings?: number;
  /** yarn, defaults 32 / 1 */
  betaFast?: number;
  betaSlow?: number;
  /** yarn (DeepSeek style): attention factor = get_mscale(factor, mscale) / get_mscale(factor, mscaleAllDim) */
  mscale?: number;
  mscaleAllDim?: number;
  /** yarn: explicit attention factor (overrides the mscale formulas) */
  attentionFactor?: number;
  /** yarn: floor/ceil the correction range (default true) */
  truncate?: boolean;
  /** dynamic: current sequence length (default maxPositionEmbeddings) */
  seqLen?: number;
}

export interface RopeFrequencies {
  /** [rotaryDim / 2] */
  invFreq: Float32Array;
  /** multiplier on cos and sin (HF attention_scaling) */
  mscale: number;
}

const f = Math.fround;

function bad(msg: string): never {
  throw new RangeError(`computeRopeInvFreq: ${msg}`);
}

function positive(name: string, v: number | undefined): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) bad(`${name} must be a positive number, got ${String(v)}`);
  return v;
}

/** 1 / base^(2i/dim) as torch computes it in float32 */
function defaultInvFreq(base: number, dim: number): Float32Array {
  const out = new Float32Array(dim / 2);
  for (let i = 0; i < dim / 2; i++) out[i] = f(1 / f(Math.pow(base, f((2 * i) / dim))));
  return out;
}

function getMscale(scale: number, mscale = 1): number {
  return scale <= 1 ? 1 : 0.1 * mscale * Math.log(scale) + 1;
}

export function computeRopeInvFreq(config: RopeScalingConfig): RopeFrequencies {
  if (config === null || typeof config !== 'object') throw new TypeError('computeRopeInvFreq: config must be an object');
  const dim = config.rotaryDim;
  if (!Number.isInteger(dim) || dim < 0 || dim % 2 !== 0) bad(`rotaryDim must be an even integer >= 0, got ${String(dim)}`);
  const base = positive('theta', config.theta);

  switch (config.type) {
    case 'default':
      return { invFreq: defaultInvFreq(base, dim), mscale: 1 };

    case 'linear': {
      const factor = positive('factor', config.factor);
      const inv = defaultInvFreq(base, dim);
      for (let i = 0; i < inv.length; i++) inv[i] = f(inv[i]! / factor);
      return { invFreq: inv, mscale: 1 };
    }

    case 'dynamic': {
      // NTK-aware base stretch once the sequence outgrows the trained length
      const factor = positive('factor', config.factor);
      const maxPos = positive('maxPositionEmbeddings', config.maxPositionEmbeddings);
      const seqLen = config.seqLen !== undefined && config.seqLen > maxPos ? config.seqLen : maxPos;
      const stretched = base * Math.pow((factor * seqLen) / maxPos - (factor - 1), dim / (dim - 2));
      return { invFreq: defaultInvFreq(stretched, dim), mscale: 1 };
    }

    case 'llama3': {
      const factor = positive('factor', config.factor);
      const low = positive('lowFreqFactor', config.lowFreqFactor);
      const high = positive('highFreqFactor', config.highFreqFactor);
      if (high === low) bad('highFreqFactor must differ from lowFreqFactor');
      const oldCtx = positive('originalMaxPositionEmbeddings', config.originalMaxPositionEmbeddings);
      const lowWavelen = oldCtx / low;
      const highWavelen = oldCtx / high;
      const inv = defaultInvFreq(base, dim);
      for (let i = 0; i < inv.length; i++) {
        const fr = inv[i]!;
        const wavelen = f((2 * Math.PI) / fr);
        if (wavelen < highWavelen) continue; // high frequency: unchanged
        if (wavelen > lowWavelen) { inv[i] = f(fr / factor); continue; } // low frequency: scaled
        const smooth = f((oldCtx / wavelen - low) / (high - low));
        inv[i] = f(f(f(1 - smooth) * f(fr / factor)) + f(smooth * fr));
      }
      return { invFreq: inv, mscale: 1 };
    }

    case 'yarn': {
      const origMax = config.originalMaxPositionEmbeddings ?? config.maxPositionEmbeddings;
      positive('originalMaxPositionEmbeddings (or maxPositionEmbeddings)', origMax);
      let factor = config.factor;
      if (factor === undefined) {
        factor = positive('maxPositionEmbeddings', config.maxPositionEmbeddings) / origMax!;
      }
      positive('factor', factor);
      let attention = config.attentionFactor;
      if (attention === undefined) {
        attention = config.mscale && config.mscaleAllDim
          ? getMscale(factor, config.mscale) / getMscale(factor, config.mscaleAllDim)
          : getMscale(factor);
      }
      const betaFast = config.betaFast || 32;
      const betaSlow = config.betaSlow || 1;
      const correctionDim = (rotations: number) => (dim * Math.log(origMax! / (rotations * 2 * Math.PI))) / (2 * Math.log(base));
      let lo = correctionDim(betaFast);
      let hi = correctionDim(betaSlow);
      if (config.truncate ?? true) { lo = Math.floor(lo); hi = Math.ceil(hi); }
      lo = Math.max(lo, 0);
      hi = Math.min(hi, dim - 1);
      if (lo === hi) hi += 0.001; // HF: prevent a singular ramp
      const inv = new Float32Array(dim / 2);
      for (let i = 0; i < dim / 2; i++) {
        const posFreq = f(Math.pow(base, f((2 * i) / dim)));
        const extrapolation = f(1 / posFreq);
        const interpolation = f(1 / f(factor * posFreq));
        const ramp = Math.min(1, Math.max(0, f(f(i - lo) / f(hi - lo))));
        const extrapolationFactor = f(1 - ramp);
        inv[i] = f(f(interpolation * f(1 - extrapolationFactor)) + f(extrapolation * extrapolationFactor));
      }
      return { invFreq: inv, mscale: attention };
    }

    default:
      throw new RangeError(`computeRopeInvFreq: unsupported rope type '${String((config as { type: unknown }).type)}' (supported: default, linear, dynamic, llama3, yarn)`);
  }
}
