/**
 * End to end through the microkernel: the runtime finds the bundled llama plugin, the ModelRegistry builds a
 * model with ops resolved by the KernelRegistry, and the KvPoolRegistry supplies its pool.
 */
import { describe, expect, it } from 'vitest';
import { createPlexus, ModelNotSupportedError, silentLogger, Tensor, type Checkpoint, type TensorStore } from '@plexus/core';

const dims = { hidden: 32, layers: 2, heads: 4, kvHeads: 2, headDim: 8, inter: 48, vocab: 64 };

/** a tiny random-weight LlamaForCausalLM held in memory */
function tinyLlama(architecture = 'LlamaForCausalLM'): Checkpoint {
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5) * 0.4;
  const tensors = new Map<string, Tensor>();
  const add = (name: string, shape: number[], ones = false) =>
    tensors.set(name, Tensor.fromF32(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (ones ? 1 : rand())), shape));
  add('model.embed_tokens.weight', [dims.vocab, dims.hidden]);
  for (let i = 0; i < dims.layers; i++) {
    const p = `model.layers.${i}`;
    add(`${p}.input_layernorm.weight`, [dims.hidden], true);
    add(`${p}.self_attn.q_proj.weight`, [dims.heads * dims.headDim, dims.hidden]);
    add(`${p}.self_attn.k_proj.weight`, [dims.kvHeads * dims.headDim, dims.hidden]);
    add(`${p}.self_attn.v_proj.weight`, [dims.kvHeads * dims.headDim, dims.hidden]);
    add(`${p}.self_attn.o_proj.weight`, [dims.hidden, dims.heads * dims.headDim]);
    add(`${p}.post_attention_layernorm.weight`, [dims.hidden], true);
    add(`${p}.mlp.gate_proj.weight`, [dims.inter, dims.hidden]);
    add(`${p}.mlp.up_proj.weight`, [dims.inter, dims.hidden]);
    add(`${p}.mlp.down_proj.weight`, [dims.hidden, dims.inter]);
  }
  add('model.norm.weight', [dims.hidden], true);
  add('lm_head.weight', [dims.vocab, dims.hidden]);
  const store: TensorStore = {
    names: () => [...tensors.keys()],
    has: (n) => tensors.has(n),
    get: (n) => tensors.get(n)!,
    totalBytes: [...tensors.values()].reduce((s, t) => s + t.byteLength, 0),
    close() {},
  };
  const config = {
    architectures: [architecture], model_type: 'llama', hidden_size: dims.hidden, num_hidden_layers: dims.layers,
    num_attention_heads: dims.heads, num_key_value_heads: dims.kvHeads, intermediate_size: dims.inter,
    vocab_size: dims.vocab, rms_norm_eps: 1e-5, rope_theta: 10000, max_position_embeddings: 128, tie_word_embeddings: false,
  };
  return { dir: '/memory/tiny-llama', config, architecture, tensors: store, generation: { eosTokenIds: [] } };
}

async function prefillLogits(env: Record<string, string>): Promise<Float32Array> {
  const plexus = await createPlexus({ env, logger: silentLogger() });
  const model = await plexus.loadModel(tinyLlama());
  const pool = plexus.createKvPool(model.kvRequest(4, 4));
  expect(pool.id).toBe('core.paged'); // no plugin pool matches a Llama: the registry's default
  const tokens = Int32Array.from([1, 7, 42, 3, 9]);
  const logits = model.forward({
    tokens,
    positions: Int32Array.from(tokens, (_, i) => i),
    slotMapping: Int32Array.from(tokens, (_, i) => i),
    seqs: [{ qStart: 0, qLen: tokens.length, kvLen: tokens.length, blockTable: Int32Array.from([0, 1]), wantLogits: true }],
    kv: pool,
  });
  model.dispose();
  pool.dispose();
  return logits;
}

describe('model loading through the runtime', () => {
  it('builds the bundled llama model with registry-chosen kernels; both kernel paths agree', async () => {
    const auto = await prefillLogits({});
    const portable = await prefillLogits({ PLEXUS_FORCE_PORTABLE_KERNELS: '1' });
    expect(auto.length).toBe(dims.vocab);
    expect(auto.every(Number.isFinite)).toBe(true);
    expect(Math.max(...auto) - Math.min(...auto)).toBeGreaterThan(1e-3);
    for (let i = 0; i < auto.length; i++) expect(auto[i]).toBeCloseTo(portable[i]!, 4);
  });

  it('a disabled architecture is refused with the reason', async () => {
    const plexus = await createPlexus({ env: { PLEXUS_DISABLED_MODEL_ARCHS: 'LlamaForCausalLM' }, logger: silentLogger() });
    await expect(plexus.loadModel(tinyLlama())).rejects.toThrow(ModelNotSupportedError);
    await expect(plexus.loadModel(tinyLlama())).rejects.toThrow(/PLEXUS_DISABLED_MODEL_ARCHS/);
    // the plugin itself still serves its other architectures
    expect(plexus.models.has('Qwen2ForCausalLM')).toBe(true);
  });
});
