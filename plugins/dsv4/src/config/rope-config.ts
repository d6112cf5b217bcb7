/**
 * The two RoPE tables of DeepSeek-V4: `main` (sliding-only layers: rope_theta, no scaling) and `compress`
 * (every compressed layer's attention, compressor and indexer: compress_rope_theta with the YaRN scaling).
 * Both rotate the last `ropeDim` dims, interleaved pairs. The compress table never scales cos/sin (the
 * reference has no mscale; transformers forces attention_factor 1.0), unless the config says otherwise.
 */
import { computeRopeInvFreq, type ConfigReader, type RopeScalingConfig } from '@plexus/core';

export interface Dsv4Rope {
  readonly main: RopeScalingConfig;
  readonly compress: RopeScalingConfig;
}

export interface RopeTable {
  readonly invFreq: Float32Array;
  readonly mscale: number;
}

const STATIC_TYPES: ReadonlySet<string> = new Set(['default', 'linear', 'llama3', 'yarn']);

export function parseRopePair(r: ConfigReader, ropeDim: number): Dsv4Rope {
  const maxPos = r.int('max_position_embeddings', { default: 1048576 });
  const mainTheta = r.number('rope_theta', { default: 10000, positive: true });
  const compressTheta = r.number('compress_rope_theta', { default: 160000, positive: true });
  const params = r.object('rope_parameters');
  const nestedMain = params?.object('main');
  const nestedCompress = params?.object('compress');
  if (nestedMain || nestedCompress) {
    return {
      main: nestedMain ? scaling(nestedMain, ropeDim, mainTheta, maxPos, false) : plain(mainTheta, ropeDim, maxPos),
      compress: nestedCompress ? scaling(nestedCompress, ropeDim, compressTheta, maxPos, true) : plain(compressTheta, ropeDim, maxPos),
    };
  }
  // DeepSeek's rope_scaling, or transformers' flat rope_parameters: both describe the compressed layers
  const flat = params ?? r.object('rope_scaling');
  return {
    main: plain(mainTheta, ropeDim, maxPos),
    compress: flat ? scaling(flat, ropeDim, compressTheta, maxPos, true, true) : plain(compressTheta, ropeDim, maxPos),
  };
}

function plain(theta: number, rotaryDim: number, maxPositionEmbeddings: number): RopeScalingConfig {
  return { type: 'default', theta, rotaryDim, maxPositionEmbeddings };
}

function scaling(s: ConfigReader, rotaryDim: number, fallbackTheta: number, maxPos: number, compress: boolean, thetaFromModel = false): RopeScalingConfig {
  const type = s.string(s.has('rope_type') ? 'rope_type' : 'type', 'default');
  if (!STATIC_TYPES.has(type)) s.fail(s.has('rope_type') ? 'rope_type' : 'type', `must be one of ${[...STATIC_TYPES].join(', ')} for DeepSeek-V4, got "${type}"`);
  // a flat dict's rope_theta (if any) is the main theta: the compressed layers use compress_rope_theta
  const theta = thetaFromModel ? fallbackTheta : s.number('rope_theta', { default: fallbackTheta, positive: true });
  const out: { -readonly [K in keyof RopeScalingConfig]: RopeScalingConfig[K] } = { type: type as RopeScalingConfig['type'], theta, rotaryDim, maxPositionEmbeddings: maxPos };
  const factor = s.optionalNumber('factor', { positive: true });
  if (factor !== undefined) out.factor = factor;
  if (s.has('original_max_position_embeddings')) out.originalMaxPositionEmbeddings = s.int('original_max_position_embeddings');
  const betaFast = s.optionalNumber('beta_fast', { positive: true });
  if (betaFast !== undefined) out.betaFast = betaFast;
  const betaSlow = s.optionalNumber('beta_slow', { positive: true });
  if (betaSlow !== undefined) out.betaSlow = betaSlow;
  const lowFreq = s.optionalNumber('low_freq_factor', { positive: true });
  if (lowFreq !== undefined) out.lowFreqFactor = lowFreq;
  const highFreq = s.optionalNumber('high_freq_factor', { positive: true });
  if (highFreq !== undefined) out.highFreqFactor = highFreq;
  const attention = s.optionalNumber('attention_factor', { positive: true });
  if (attention !== undefined) out.attentionFactor = attention;
  else if (compress && type === 'yarn') out.attentionFactor = 1;
  if (type === 'yarn' && out.factor === undefined && out.originalMaxPositionEmbeddings === undefined) {
    s.fail('factor', 'is required for YaRN (or original_max_position_embeddings, to derive it)');
  }
  if (type === 'linear' && out.factor === undefined) s.fail('factor', 'is required for linear rope scaling');
  return out;
}

/** inverse frequencies [ropeDim / 2] and the cos/sin multiplier of one table (validated by computeRopeInvFreq) */
export function ropeTable(config: RopeScalingConfig): RopeTable {
  const { invFreq, mscale } = computeRopeInvFreq(config);
  return { invFreq, mscale };
}
