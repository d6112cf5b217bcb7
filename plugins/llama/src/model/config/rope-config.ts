/**
 * RoPE settings from config.json. transformers 5 writes `rope_parameters` ({rope_type, rope_theta, factor…});
 * older configs write top-level `rope_theta` plus an optional `rope_scaling` ({type | rope_type, factor…}).
 * Both end up in one validated RopeConfig.
 */
import type { ConfigReader } from '@plexus/core';

export type RopeType = 'default' | 'linear' | 'llama3' | 'yarn';
const SUPPORTED: readonly RopeType[] = ['default', 'linear', 'llama3', 'yarn'];

export interface RopeConfig {
  type: RopeType;
  theta: number;
  /** rotated dims per head (head_dim × partial_rotary_factor) */
  rotaryDim: number;
  factor?: number;
  /** llama3 */
  lowFreqFactor?: number;
  highFreqFactor?: number;
  /** llama3 and yarn: the pre-training context the scaling is relative to */
  originalMaxPositionEmbeddings?: number;
  /** yarn */
  attentionFactor?: number;
  betaFast?: number;
  betaSlow?: number;
  mscale?: number;
  mscaleAllDim?: number;
  truncate?: boolean;
}

const DEFAULT_THETA = 10000;

export function parseRopeConfig(cfg: ConfigReader, headDim: number): RopeConfig {
  const params = cfg.object('rope_parameters');
  // transformers 5 keeps everything in rope_parameters; legacy keeps theta top-level and scaling apart
  const scaling = params ?? cfg.object('rope_scaling');
  const theta = params?.has('rope_theta')
    ? params.number('rope_theta', { positive: true })
    : cfg.number('rope_theta', { default: DEFAULT_THETA, positive: true });

  const typeField = scaling?.has('rope_type') ? 'rope_type' : 'type';
  const rawType = scaling?.has(typeField) ? scaling.string(typeField) : 'default';
  if (!(SUPPORTED as readonly string[]).includes(rawType)) {
    (scaling ?? cfg).fail(typeField, `is "${rawType}", which this plugin does not support (supported: ${SUPPORTED.join(', ')})`);
  }
  const type = rawType as RopeType;

  const partial = scaling?.has('partial_rotary_factor')
    ? scaling.number('partial_rotary_factor', { positive: true })
    : cfg.number('partial_rotary_factor', { default: 1, positive: true });
  const rotaryDim = Math.floor(headDim * partial);
  if (partial > 1 || rotaryDim < 2 || rotaryDim % 2 !== 0) {
    cfg.fail('partial_rotary_factor', `gives ${rotaryDim} rotary dims for head_dim ${headDim}; it must be in (0, 1] and give an even count`);
  }

  const rope: RopeConfig = { type, theta, rotaryDim };
  if (type === 'default' || !scaling) return rope;

  rope.factor = scaling.number('factor', { positive: true });
  if (type === 'llama3') {
    rope.lowFreqFactor = scaling.number('low_freq_factor', { positive: true });
    rope.highFreqFactor = scaling.number('high_freq_factor', { positive: true });
    rope.originalMaxPositionEmbeddings = scaling.int('original_max_position_embeddings');
    if (rope.highFreqFactor <= rope.lowFreqFactor) {
      scaling.fail('high_freq_factor', `(${rope.highFreqFactor}) must be greater than low_freq_factor (${rope.lowFreqFactor})`);
    }
  } else if (type === 'yarn') {
    rope.originalMaxPositionEmbeddings = scaling.optionalInt('original_max_position_embeddings');
    rope.attentionFactor = scaling.optionalNumber('attention_factor', { positive: true });
    rope.betaFast = scaling.optionalNumber('beta_fast', { positive: true });
    rope.betaSlow = scaling.optionalNumber('beta_slow', { positive: true });
    rope.mscale = scaling.optionalNumber('mscale');
    rope.mscaleAllDim = scaling.optionalNumber('mscale_all_dim');
    if (scaling.has('truncate')) rope.truncate = scaling.bool('truncate', true);
  }
  return rope;
}
