/**
 * The quant wrapper for MoE layers (priority 10): it claims a layer whose experts are MXFP4, detected from
 * the tensors (`*_blocks`/`*_scales`, or I8 codes with E8M0 `.scale`) or from config `expert_dtype: "fp4"`,
 * and replaces the core's float experts method with the MXFP4 one. It reads nothing model-specific: any
 * model plugin that builds its MoE with the core's createMoe gets MXFP4 experts without importing this plugin.
 */
import { CheckpointFormatError, Declined, type QuantConfig, type QuantLayer, type QuantWrapper } from '@plexus/core';
import type { MoeExpertsMethod, MoeLayerInfo } from '@plexus/core';
import { detectLayout, type Mxfp4Layout } from './expert-layouts.ts';
import { MXFP4_QUANT_METHOD } from './manifest.ts';
import { createMxfp4Experts } from './mxfp4-experts.ts';

export interface Mxfp4Match {
  /** undefined: config says fp4 but no known layout was found */
  readonly layout: Mxfp4Layout | undefined;
}

const FLOAT = new Set(['F32', 'BF16', 'F16']);

export const MXFP4_MOE_WRAPPER: QuantWrapper<Mxfp4Match, MoeExpertsMethod> = {
  id: MXFP4_QUANT_METHOD,
  priority: 10,
  predicate(layer: QuantLayer, config: QuantConfig): Mxfp4Match | undefined {
    if (layer.kind !== 'moe') return undefined;
    const layout = detectLayout(layer as MoeLayerInfo);
    if (layout) return { layout };
    return config['expert_dtype'] === 'fp4' ? { layout: undefined } : undefined;
  },
  factory(layer: QuantLayer, _inner: MoeExpertsMethod, match: Mxfp4Match) {
    const moe = layer as MoeLayerInfo;
    if (!match.layout) {
      // expert_dtype says fp4, yet the experts are plain floats (a dequantized export): the float path is right
      if (floatExperts(moe)) return Declined;
      throw new CheckpointFormatError(moe.source, 'config expert_dtype is "fp4" but the experts are in no MXFP4 layout the mxfp4 plugin reads ' +
        `(per-expert '${moe.naming.layout === 'per-expert' ? moe.tensorName('gate', 0, 'weight') : '…'}' I8 + '.scale', or stacked '*_blocks' + '*_scales')`, moe.name);
    }
    const layout = match.layout;
    return { id: MXFP4_QUANT_METHOD, create: (l: MoeLayerInfo) => createMxfp4Experts(l, layout) };
  },
};

function floatExperts(layer: MoeLayerInfo): boolean {
  const name = layer.naming.layout === 'per-expert' ? layer.tensorName('gate', 0, 'weight') : layer.tensorName('gateUp', undefined, '');
  return layer.store.has(name) && FLOAT.has(layer.store.get(name).dtype);
}
