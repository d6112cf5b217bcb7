/** The generic MoE layer and the contract its expert quant methods implement. */
export { createMoe } from './moe-layer.ts';
export type { MoeLayer, MoeSpec, MoeOptions, MoeForwardOptions, SharedExpertSpec } from './moe-layer.ts';
export { moeConfigFromHf } from './moe-config.ts';
export type { HfMoeConfig } from './moe-config.ts';
export { route, routerScores, topKIndices, validateRouterConfig, SCORING_FUNCS } from './router.ts';
export type { RouterConfig, Routing, ScoringFunc } from './router.ts';
export { buildExpertPlan } from './expert-plan.ts';
export { applyActivation } from './activation.ts';
export { UNQUANTIZED_EXPERTS, UNQUANTIZED_EXPERTS_ID } from './unquantized-experts.ts';
export { MXFP4_METHOD_ID } from './missing-quant-method.ts';
export { expertTensorName, DSV4_EXPERT_NAMING, HF_EXPERT_NAMING, GPT_OSS_EXPERT_NAMING } from './experts-method.ts';
export type {
  ExpertPlan, ExpertNaming, ExpertPart, MoeLayerInfo, MoeExperts, MoeExpertsMethod, SwigluActivation,
} from './experts-method.ts';
