/**
 * The core building blocks the model is made of: `createLinear` (quant method chosen through the
 * QuantMethodRegistry: unquantized, fp8-block, …) and `createMoe` (generic MoE whose experts come from the
 * registry: unquantized here, MXFP4 from the mxfp4 plugin — never imported by this plugin).
 * One adapter module so the import path lives in one place.
 */
export { createLinear } from '@plexus/core';
export type { Linear, QuantBuildContext } from '@plexus/core';
export { createMoe, DSV4_EXPERT_NAMING } from '@plexus/core';
export type { ExpertNaming, MoeLayer } from '@plexus/core';
