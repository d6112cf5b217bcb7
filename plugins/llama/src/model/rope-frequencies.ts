/**
 * RoPE inverse frequencies and the cos/sin multiplier for a parsed RopeConfig, computed once per model
 * by the native package's HF-exact table code (YaRN's attention factor comes back as `mscale`, which
 * the rope op multiplies into cos and sin, exactly where transformers applies `attention_scaling`).
 */
import { computeRopeInvFreq, type RopeFrequencies } from '@plexus/core';
import type { RopeConfig } from './config/rope-config.ts';

export function ropeFrequencies(rope: RopeConfig, maxPositionEmbeddings: number): RopeFrequencies {
  return computeRopeInvFreq({ ...rope, maxPositionEmbeddings });
}
