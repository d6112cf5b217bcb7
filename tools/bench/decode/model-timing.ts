/**
 * Times a CausalLM through the core's paged KV pool (one sequence, identity block table): batch-1
 * greedy decode runs and single-prompt prefill runs.
 */
import type { CausalLM, NativeOps } from '@plexus/core';
import { createDefaultKvPool } from '../../../core/src/engine/kv-pool.ts';
import { SingleSequence } from './single-sequence.ts';

export class ModelTimer {
  private readonly seq: SingleSequence;

  constructor(model: CausalLM, ops: NativeOps, maxTokens: number) {
    this.seq = new SingleSequence(model, createDefaultKvPool, maxTokens, (logits) => ops.argmax(logits, 1, model.vocabSize)[0]!);
  }

  /** prefills `promptTokens`, then returns greedy decode tokens/s over `decodeTokens` steps */
  decodeRun(promptTokens: number, decodeTokens: number): number {
    let next = this.seq.step(this.seq.prompt(promptTokens), 0);
    const t0 = performance.now();
    for (let i = 0; i < decodeTokens; i++) next = this.seq.step([next], promptTokens + i);
    return decodeTokens / ((performance.now() - t0) / 1000);
  }

  /** prefill tokens/s of one prompt of `tokens` tokens */
  prefillRun(tokens: number): number {
    const prompt = this.seq.prompt(tokens);
    const t0 = performance.now();
    this.seq.step(prompt, 0);
    return tokens / ((performance.now() - t0) / 1000);
  }

  dispose(): void {
    this.seq.dispose();
  }
}

export interface DenseShape { hidden: number; layers: number; heads: number; kvHeads: number; headDim: number; inter: number; vocab: number }

/** FLOPs of one prefill of T tokens: 2 per weight per token in every linear layer, the causal attention, one lm_head row */
export function prefillFlops(c: DenseShape, T: number): number {
  const perLayerParams = c.hidden * c.heads * c.headDim * 2 + c.hidden * c.kvHeads * c.headDim * 2 + 3 * c.hidden * c.inter;
  const linear = 2 * perLayerParams * c.layers * T;
  // QKᵀ and PV over the causal triangle: each ≈ headDim × T(T+1)/2 multiply-adds per head
  const attention = 2 * 2 * c.layers * c.heads * c.headDim * (T * (T + 1)) / 2;
  return linear + attention + 2 * c.vocab * c.hidden;
}

export function denseShape(config: Record<string, unknown>): DenseShape {
  const heads = config.num_attention_heads as number;
  const hidden = config.hidden_size as number;
  return {
    hidden, heads, layers: config.num_hidden_layers as number, kvHeads: config.num_key_value_heads as number,
    headDim: (config.head_dim as number | undefined) ?? hidden / heads, inter: config.intermediate_size as number, vocab: config.vocab_size as number,
  };
}
