/**
 * Reads the MoE fields of an HF config.json into router / activation settings, across the names the
 * families use (DeepSeek n_routed_experts, Mixtral num_local_experts, Qwen num_experts, gpt-oss
 * experts_per_token…). Model plugins may build a MoeSpec from it or set every field themselves.
 */
import { CheckpointFormatError } from '../errors.ts';
import type { SwigluActivation } from './experts-method.ts';
import { SCORING_FUNCS, type RouterConfig, type ScoringFunc } from './router.ts';

export interface HfMoeConfig {
  readonly numExperts: number;
  readonly topK: number;
  /** per routed expert */
  readonly intermediateSize: number;
  readonly routing: RouterConfig;
  readonly activation: SwigluActivation;
  /** width of the shared expert MLP (DeepSeek: n_shared_experts × moe_intermediate_size), if any */
  readonly sharedIntermediateSize?: number;
}

export function moeConfigFromHf(config: Readonly<Record<string, unknown>>, file = 'config.json'): HfMoeConfig {
  const pick = (...keys: string[]): unknown => keys.map((k) => config[k]).find((v) => v !== undefined && v !== null);
  const int = (what: string, value: unknown, min = 1): number => {
    if (!Number.isSafeInteger(value) || (value as number) < min) throw new CheckpointFormatError(file, `${what} must be an integer >= ${min}, got ${JSON.stringify(value)}`);
    return value as number;
  };
  const numExperts = int('n_routed_experts / num_local_experts / num_experts', pick('n_routed_experts', 'num_local_experts', 'num_experts'));
  const topK = int('num_experts_per_tok / experts_per_token', pick('num_experts_per_tok', 'experts_per_token'));
  const intermediateSize = int('moe_intermediate_size / intermediate_size', pick('moe_intermediate_size', 'intermediate_size'));
  const scoring = (pick('scoring_func') ?? 'softmax') as ScoringFunc;
  if (!SCORING_FUNCS.includes(scoring)) throw new CheckpointFormatError(file, `scoring_func must be one of ${SCORING_FUNCS.join(', ')}, got ${JSON.stringify(scoring)}`);
  const normTopK = pick('norm_topk_prob') ?? true;
  if (typeof normTopK !== 'boolean') throw new CheckpointFormatError(file, `norm_topk_prob must be a boolean, got ${JSON.stringify(normTopK)}`);
  const scale = pick('routed_scaling_factor') ?? 1;
  if (typeof scale !== 'number' || !Number.isFinite(scale)) throw new CheckpointFormatError(file, `routed_scaling_factor must be a number, got ${JSON.stringify(scale)}`);
  const groups = pick('n_group');
  const limit = pick('swiglu_limit');
  if (limit !== undefined && (typeof limit !== 'number' || !(limit > 0))) throw new CheckpointFormatError(file, `swiglu_limit must be a number > 0, got ${JSON.stringify(limit)}`);
  const nShared = pick('n_shared_experts');
  const sharedWidth = pick('shared_expert_intermediate_size');
  const routing: RouterConfig = {
    numExperts,
    topK,
    scoring,
    normTopK,
    routedScalingFactor: scale,
    ...(groups !== undefined && int('n_group', groups) > 1 ? { numGroups: groups as number, topKGroups: int('topk_group', pick('topk_group') ?? groups) } : {}),
  };
  return {
    numExperts,
    topK,
    intermediateSize,
    routing,
    activation: limit !== undefined ? { limit: limit as number } : {},
    ...(sharedWidth !== undefined ? { sharedIntermediateSize: int('shared_expert_intermediate_size', sharedWidth) }
      : nShared !== undefined && int('n_shared_experts', nShared, 0) > 0 ? { sharedIntermediateSize: (nShared as number) * intermediateSize } : {}),
  };
}
