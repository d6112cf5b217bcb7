/**
 * The best output tokens/s a benchmark run could reach on this machine: every prompt prefilled at the
 * FMA peak, then decode steps of `concurrency` sequences, each step bounded by reading every weight once
 * (memory) or by its FLOPs (compute), whichever is slower. Dense decoder shapes from config.json; a
 * model whose config lacks them gets no roofline.
 */
import type { ServingModel } from './serving-models.ts';

export interface DecodeCost {
  /** weights read by one decode step, whatever the batch: every layer and the lm_head */
  bytesPerStep: number;
  /** FLOPs of one decoded token at the run's mean context, lm_head included */
  flopsPerToken: number;
  /** FLOPs of one prompt token (no lm_head: only the last prompt token gets logits) */
  flopsPerPromptToken: number;
  /** FLOPs of the one logits row a prompt ends with */
  lmHeadFlops: number;
}

export interface Workload {
  inputLen: number;
  outputLen: number;
  concurrency: number;
}

export interface MachineLimits {
  /** bytes per second */
  bandwidth: number;
  /** FLOP per second */
  fmaPeak: number;
}

export function decodeCost(model: ServingModel, w: Workload): DecodeCost | undefined {
  const c = (model.config.text_config as Record<string, unknown> | undefined) ?? model.config;
  const num = (k: string) => (typeof c[k] === 'number' ? (c[k] as number) : undefined);
  const H = num('hidden_size');
  const V = num('vocab_size');
  const L = num('num_hidden_layers');
  const heads = num('num_attention_heads');
  if (!H || !V || !L || !heads || model.checkpointBytes <= 0) return undefined;
  const headDim = num('head_dim') ?? H / heads;
  const dtype = String(c.torch_dtype ?? c.dtype ?? model.config.torch_dtype ?? model.config.dtype ?? 'bfloat16');
  const elemBytes = dtype === 'float32' ? 4 : 2;
  const tied = (c.tie_word_embeddings ?? model.config.tie_word_embeddings) !== false;
  // an untied embedding table is only gathered from; a tied one is read whole as the lm_head
  const bytesPerStep = model.checkpointBytes - (tied ? 0 : V * H * elemBytes);
  const layerParams = bytesPerStep / elemBytes - V * H;
  const lmHeadFlops = 2 * V * H;
  // QKᵀ and PV: 2 FLOPs per multiply-add, per head, per cached position
  const attentionPerPosition = 2 * 2 * L * heads * headDim;
  const meanDecodeContext = w.inputLen + w.outputLen / 2;
  return {
    bytesPerStep,
    flopsPerToken: 2 * layerParams + lmHeadFlops + attentionPerPosition * meanDecodeContext,
    flopsPerPromptToken: 2 * layerParams + attentionPerPosition * (w.inputLen / 2),
    lmHeadFlops,
  };
}

/** output tokens/s of the whole run (prefill included) at the machine's limits */
export function outputTokensPerSecondLimit(cost: DecodeCost, w: Workload, m: MachineLimits): number {
  const prefillSeconds = (w.inputLen * cost.flopsPerPromptToken + cost.lmHeadFlops) / m.fmaPeak;
  const stepSeconds = Math.max(cost.bytesPerStep / m.bandwidth, (w.concurrency * cost.flopsPerToken) / m.fmaPeak);
  // per request: its share of a full decode step for each output token after the first, plus its prefill
  const secondsPerRequest = prefillSeconds + ((w.outputLen - 1) * stepSeconds) / w.concurrency;
  return w.outputLen / secondsPerRequest;
}

/** which limit a full decode step hits first */
export function decodeBound(cost: DecodeCost, concurrency: number, m: MachineLimits): 'memory' | 'compute' {
  return cost.bytesPerStep / m.bandwidth >= (concurrency * cost.flopsPerToken) / m.fmaPeak ? 'memory' : 'compute';
}
