/**
 * The contract between the generic MoE layer and the quant methods that compute its routed experts.
 * The layer routes and groups tokens by expert (an ExpertPlan); a method (unquantized in core, MXFP4 in a
 * plugin, …) runs the experts of one step. Methods are chosen through the QuantMethodRegistry for a layer
 * of kind 'moe', so a quant plugin never depends on a model plugin and the reverse.
 */
import type { SwigluActivation } from '@plexus/native';
import type { KernelOps, KernelRegistry } from '../kernel/registries/kernel-registry.ts';
import type { ProviderLookup } from '../kernel/registries/provider-lookup.ts';
import type { QuantLayer } from '../kernel/registries/quant-method-registry.ts';
import type { TensorStore } from '../model/types.ts';
import '../quant/kernel-ops.ts';

export type { SwigluActivation } from '@plexus/native';

/**
 * Tokens grouped by expert for one step. Slots [expertStart[a], expertStart[a+1]) belong to expert
 * experts[a] (ascending); within an expert, slots follow token order. Each expert's weights are read once.
 */
export interface ExpertPlan {
  readonly numTokens: number;
  readonly experts: Int32Array;
  /** experts.length + 1 offsets */
  readonly expertStart: Int32Array;
  /** token of each slot */
  readonly slotToken: Int32Array;
  /** routing weight of each slot (already renormalized and scaled) */
  readonly slotWeight: Float32Array;
}

/**
 * How a checkpoint names its routed experts.
 *  - per-expert: `<prefix>.<e>.<gate|up|down>.<suffix>` (DeepSeek-V4 w1/w3/w2, Mixtral, Qwen-MoE gate_proj…)
 *  - stacked: `<prefix>.<gateUp>` [E, 2I, H] and `<prefix>.<down>` [E, H, I]; quantized siblings add a
 *    suffix (`gate_up_proj_blocks`, `_scales`, `_bias`, gpt-oss). gateUpOrder says whether gate and up rows
 *    alternate (gpt-oss) or the I gate rows come first (HF DeepSeek-V4).
 */
export type ExpertNaming =
  | { readonly layout: 'per-expert'; readonly gate: string; readonly up: string; readonly down: string }
  | { readonly layout: 'stacked'; readonly gateUp: string; readonly down: string; readonly gateUpOrder: 'interleaved' | 'concatenated' };

export const DSV4_EXPERT_NAMING: ExpertNaming = { layout: 'per-expert', gate: 'w1', up: 'w3', down: 'w2' };
export const HF_EXPERT_NAMING: ExpertNaming = { layout: 'per-expert', gate: 'gate_proj', up: 'up_proj', down: 'down_proj' };
export const GPT_OSS_EXPERT_NAMING: ExpertNaming = { layout: 'stacked', gateUp: 'gate_up_proj', down: 'down_proj', gateUpOrder: 'interleaved' };

export type ExpertPart = 'gate' | 'up' | 'down' | 'gateUp';

/** What an MoE quant method sees of the layer it builds (QuantLayer kind 'moe'). */
export interface MoeLayerInfo extends QuantLayer {
  readonly kind: 'moe';
  /** the experts' tensor prefix, e.g. 'layers.3.ffn.experts' */
  readonly name: string;
  readonly store: TensorStore;
  readonly source: string;
  readonly ops: KernelOps;
  readonly kernels?: KernelRegistry;
  readonly numExperts: number;
  readonly hiddenSize: number;
  readonly intermediateSize: number;
  readonly naming: ExpertNaming;
  readonly activation: SwigluActivation;
  /**
   * Tensor name of an expert part. per-expert: (part, e, 'weight') → '<prefix>.<e>.w1.weight';
   * stacked: (part, undefined, 'blocks') → '<prefix>.gate_up_proj_blocks', suffix '' → '<prefix>.gate_up_proj'.
   */
  tensorName(part: ExpertPart, expert: number | undefined, suffix: string): string;
  /** which plugin should provide a missing quant method, and why it did not (from the plugin loader) */
  readonly providers?: ProviderLookup;
}

/** The routed experts of one layer, bound to their weights. */
export interface MoeExperts {
  /** id of the method that built them, e.g. 'unquantized' | 'mxfp4' */
  readonly method: string;
  /** bytes one expert reads per step it serves (weights, scales, biases) */
  readonly bytesPerExpert: number;
  /** out[T, H] = Σ over each token's slots (slot order) of weight · expert(x[token]); tokens without slots → 0 */
  run(out: Float32Array, x: Float32Array, plan: ExpertPlan): void;
}

/** A quant method for MoE experts: the QuantMethodRegistry wraps these, then `create` binds the weights. */
export interface MoeExpertsMethod {
  readonly id: string;
  create(layer: MoeLayerInfo): MoeExperts;
}

export function expertTensorName(prefix: string, naming: ExpertNaming, part: ExpertPart, expert: number | undefined, suffix: string): string {
  if (naming.layout === 'per-expert') {
    if (part === 'gateUp') throw new TypeError(`expertTensorName: per-expert naming has no fused gate_up part (layer ${prefix})`);
    if (expert === undefined) throw new TypeError(`expertTensorName: per-expert naming needs an expert index (layer ${prefix})`);
    return `${prefix}.${expert}.${naming[part]}${suffix ? `.${suffix}` : ''}`;
  }
  if (part === 'gate' || part === 'up') throw new TypeError(`expertTensorName: stacked naming stores gate and up fused as '${naming.gateUp}' (layer ${prefix})`);
  const base = part === 'gateUp' ? naming.gateUp : naming.down;
  return `${prefix}.${base}${suffix ? `_${suffix}` : ''}`;
}
