/**
 * What one decoded token reads, from the checkpoint's own tensors: every dense tensor in full, the routed
 * experts' tensors × topK / numExperts (only the chosen experts are read), one row of the embedding and of
 * the hash-routing tables. Also the active parameters of one token (the prefill FLOP count: 2 per parameter;
 * packed FP4 bytes hold two, scale tensors are not multiplied).
 */
import type { TensorStore } from '@plexus/core';

export interface TokenWeights {
  denseBytes: number;
  expertBytes: number;
  activeParams: number;
}

const ROUTED_EXPERT = /\.ffn\.experts\.\d+\./;
const ONE_ROW = /^embed\.weight$|\.tid2eid$/;
const SCALE = /\.scale$/;

export function tokenWeights(store: TensorStore, numExperts: number, topK: number): TokenWeights {
  let denseBytes = 0, expertBytes = 0, activeParams = 0;
  for (const name of store.names()) {
    const t = store.get(name);
    const rows = t.shape[0] ?? 1;
    const params = SCALE.test(name) ? 0 : t.dtype === 'I8' ? 2 * t.numel : t.numel;
    if (ROUTED_EXPERT.test(name)) {
      expertBytes += (t.byteLength * topK) / numExperts;
      activeParams += (params * topK) / numExperts;
    } else if (ONE_ROW.test(name)) {
      denseBytes += t.byteLength / rows;
    } else {
      denseBytes += t.byteLength;
      activeParams += params;
    }
  }
  return { denseBytes, expertBytes, activeParams };
}
