/** Routed experts on MXFP4 weights: one native call per step runs every active expert (gate/up GEMV or GEMM, fused SwiGLU with clamp, down, weighted combine). */
import type { ExpertPlan, MoeExperts, MoeLayerInfo } from '@plexus/core';
import { MXFP4_QUANT_METHOD } from './manifest.ts';
import { packExperts, type Mxfp4Layout } from './expert-layouts.ts';

export function createMxfp4Experts(layer: MoeLayerInfo, layout: Mxfp4Layout): MoeExperts {
  const packed = packExperts(layer, layout);
  const { numExperts: E, hiddenSize: H, intermediateSize: I, ops, activation } = layer;
  const matrixBytes = (m: { codes: Uint8Array; scales: Uint8Array }) => (m.codes.byteLength + m.scales.byteLength) / E;
  const bytesPerExpert = matrixBytes(packed.gateUp) + matrixBytes(packed.down) +
    ((packed.gateUpBias?.byteLength ?? 0) + (packed.downBias?.byteLength ?? 0)) / E;
  return {
    method: MXFP4_QUANT_METHOD,
    bytesPerExpert,
    run(out: Float32Array, x: Float32Array, plan: ExpertPlan): void {
      ops.mxfp4Moe({
        out, x, numTokens: plan.numTokens, hidden: H, intermediate: I, numExperts: E,
        gateUp: packed.gateUp, down: packed.down,
        ...(packed.gateUpBias ? { gateUpBias: packed.gateUpBias } : {}),
        ...(packed.downBias ? { downBias: packed.downBias } : {}),
        experts: plan.experts, expertStart: plan.expertStart, slotToken: plan.slotToken, slotWeight: plan.slotWeight,
        activation,
      });
    },
  };
}
