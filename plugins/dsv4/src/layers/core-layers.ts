/**
 * The core building blocks the model is made of: `createLinear` (quant method chosen through the
 * QuantMethodRegistry: unquantized, fp8-block, …) and `createMoe` (generic MoE whose experts come from the
 * registry: unquantized here, MXFP4 from the mxfp4 plugin — never imported by this plugin).
 * One adapter module so the import path lives in one place.
 */
// TODO(dsv4): import from '@plexus/core' once core/src/api.ts exports the quant / moe API (issue 6)
export { createLinear } from '../../../../core/src/quant/index.ts';
export type { Linear, QuantBuildContext } from '../../../../core/src/quant/index.ts';
export { createMoe, DSV4_EXPERT_NAMING } from '../../../../core/src/moe/index.ts';
export type { ExpertNaming, MoeLayer } from '../../../../core/src/moe/index.ts';
