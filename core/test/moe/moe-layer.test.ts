/**
 * createMoe with float experts (the core's unquantized method) against a float64 reference, across expert
 * layouts and activations; FP8 shared experts; hash routing; and the error for MXFP4 experts when no quant
 * method claims them.
 */
import { describe, expect, it } from 'vitest';
import { Tensor } from '@plexus/native';
import { QuantMethodUnavailableError } from '../../src/errors.ts';
import type { ProviderLookup } from '../../src/kernel/registries/provider-lookup.ts';
import { DSV4_EXPERT_NAMING, GPT_OSS_EXPERT_NAMING, type ExpertNaming, type SwigluActivation } from '../../src/moe/experts-method.ts';
import { createMoe, type MoeSpec } from '../../src/moe/moe-layer.ts';
import { moeConfigFromHf } from '../../src/moe/moe-config.ts';
import { route, type RouterConfig } from '../../src/moe/router.ts';
import { bf16Bytes, bf16Values, bytesTensor, fp8Matrix, memoryStore, randomF32, testContext } from '../quant/support.ts';

const H = 64, I = 32, E = 6;

interface ExpertW { gate: Float32Array; up: Float32Array; down: Float32Array; gateBias?: Float32Array; upBias?: Float32Array; downBias?: Float32Array }

function act(g: number, u: number, a: SwigluActivation): number {
  const L = a.limit;
  if (L !== undefined) { g = Math.min(g, L); u = Math.max(-L, Math.min(L, u)); }
  return (g / (1 + Math.exp(-(a.alpha ?? 1) * g))) * (u + (a.upOffset ?? 0));
}

function matvec(w: ArrayLike<number>, x: ArrayLike<number>, rows: number, cols: number, bias?: ArrayLike<number>): Float64Array {
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = bias ? bias[r]! : 0;
    for (let k = 0; k < cols; k++) s += w[r * cols + k]! * x[k]!;
    out[r] = s;
  }
  return out;
}

/** float64 MoE: routing from the layer's own router config (route() is tested separately), experts and shared from the definitions */
function referenceMoe(x: Float32Array, T: number, router: Float32Array, routing: RouterConfig, experts: ExpertW[], a: SwigluActivation,
  selectionBias?: Float32Array, shared?: { gate: Float32Array; up: Float32Array; down: Float32Array; Is: number; outGate?: Float32Array }, fixedIds?: Int32Array): Float64Array {
  const logits = new Float32Array(T * E);
  for (let t = 0; t < T; t++) logits.set(matvec(router, x.subarray(t * H, (t + 1) * H), E, H), t * E);
  const r = route(logits, T, routing, selectionBias, fixedIds);
  const out = new Float64Array(T * H);
  for (let t = 0; t < T; t++) {
    const xt = x.subarray(t * H, (t + 1) * H);
    for (let j = 0; j < routing.topK; j++) {
      const ew = experts[r.ids[t * routing.topK + j]!]!, wt = r.weights[t * routing.topK + j]!;
      const g = matvec(ew.gate, xt, I, H, ew.gateBias), u = matvec(ew.up, xt, I, H, ew.upBias);
      const h = g.map((gv, i) => act(gv, u[i]!, a));
      const y = matvec(ew.down, h, H, I, ew.downBias);
      for (let k = 0; k < H; k++) out[t * H + k] += wt * y[k]!;
    }
    if (shared) {
      const g = matvec(shared.gate, xt, shared.Is, H), u = matvec(shared.up, xt, shared.Is, H);
      const h = g.map((gv, i) => act(gv, u[i]!, a));
      const y = matvec(shared.down, h, H, shared.Is);
      const s = shared.outGate ? 1 / (1 + Math.exp(-matvec(shared.outGate, xt, 1, H)[0]!)) : 1;
      for (let k = 0; k < H; k++) out[t * H + k] += s * y[k]!;
    }
  }
  return out;
}

function randomExperts(seed: number, withBias: boolean): ExpertW[] {
  return Array.from({ length: E }, (_, e) => ({
    gate: randomF32(I * H, seed + 10 * e, 0.3), up: randomF32(I * H, seed + 10 * e + 1, 0.3), down: randomF32(H * I, seed + 10 * e + 2, 0.3),
    ...(withBias ? { gateBias: randomF32(I, seed + 10 * e + 3, 0.2), upBias: randomF32(I, seed + 10 * e + 4, 0.2), downBias: randomF32(H, seed + 10 * e + 5, 0.2) } : {}),
  }));
}

/** tensors of the experts in a layout; stacked gate/up rows interleave (gpt-oss) or concatenate (HF DeepSeek-V4) */
function expertTensors(prefix: string, naming: ExpertNaming, experts: ExpertW[], dtype: 'F32' | 'BF16'): Map<string, Tensor> {
  const t = new Map<string, Tensor>();
  const enc = (v: Float32Array, shape: number[]) => (dtype === 'F32' ? Tensor.fromF32(v, shape) : bytesTensor('BF16', shape, bf16Bytes(v)));
  if (naming.layout === 'per-expert') {
    experts.forEach((ew, e) => {
      t.set(`${prefix}.${e}.${naming.gate}.weight`, enc(ew.gate, [I, H]));
      t.set(`${prefix}.${e}.${naming.up}.weight`, enc(ew.up, [I, H]));
      t.set(`${prefix}.${e}.${naming.down}.weight`, enc(ew.down, [H, I]));
    });
    return t;
  }
  const gu = new Float32Array(E * 2 * I * H), dn = new Float32Array(E * H * I), gub = new Float32Array(E * 2 * I), dnb = new Float32Array(E * H);
  experts.forEach((ew, e) => {
    for (let i = 0; i < I; i++) {
      const [gr, ur] = naming.gateUpOrder === 'interleaved' ? [2 * i, 2 * i + 1] : [i, I + i];
      gu.set(ew.gate.subarray(i * H, (i + 1) * H), (e * 2 * I + gr) * H);
      gu.set(ew.up.subarray(i * H, (i + 1) * H), (e * 2 * I + ur) * H);
      gub[e * 2 * I + gr] = ew.gateBias?.[i] ?? 0;
      gub[e * 2 * I + ur] = ew.upBias?.[i] ?? 0;
    }
    dn.set(ew.down, e * H * I);
    if (ew.downBias) dnb.set(ew.downBias, e * H);
  });
  t.set(`${prefix}.${naming.gateUp}`, enc(gu, [E, 2 * I, H]));
  t.set(`${prefix}.${naming.down}`, enc(dn, [E, H, I]));
  if (experts[0]!.gateBias) {
    t.set(`${prefix}.${naming.gateUp}_bias`, Tensor.fromF32(gub, [E * 2 * I]));
    t.set(`${prefix}.${naming.down}_bias`, Tensor.fromF32(dnb, [E * H]));
  }
  return t;
}

function asBf16(experts: ExpertW[]): ExpertW[] {
  return experts.map((e) => ({ ...e, gate: bf16Values(e.gate), up: bf16Values(e.up), down: bf16Values(e.down) }));
}

describe('createMoe (float experts)', () => {
  const T = 9;
  const x = randomF32(T * H, 1);
  const router = randomF32(E * H, 2, 0.5);

  it.each([
    ['DeepSeek-V4: per-expert w1/w3/w2, sqrtsoftplus, selection bias, clamp, routed scale, FP8 shared expert', DSV4_EXPERT_NAMING, 'sqrtsoftplus', { limit: 0.5 }, true, 'BF16'],
    ['gpt-oss: stacked interleaved gate_up with biases, softmax top-k renormalized, α 1.702 / up + 1', GPT_OSS_EXPERT_NAMING, 'softmax', { limit: 7, alpha: 1.702, upOffset: 1 }, false, 'F32'],
    ['HF DeepSeek-V4: stacked concatenated gate_up, sigmoid, no clamp', { layout: 'stacked', gateUp: 'gate_up_proj', down: 'down_proj', gateUpOrder: 'concatenated' }, 'sigmoid', {}, false, 'F32'],
  ] as Array<[string, ExpertNaming, 'softmax' | 'sigmoid' | 'sqrtsoftplus', SwigluActivation, boolean, 'F32' | 'BF16']>)('%s', (_name, naming, scoring, activation, dsv4, dtype) => {
    const withBias = naming.layout === 'stacked' && naming.gateUpOrder === 'interleaved';
    const experts = randomExperts(100, withBias);
    const tensors = expertTensors('moe.experts', naming, experts, dtype);
    tensors.set('moe.gate.weight', Tensor.fromF32(router, [E, H]));
    const bias = dsv4 ? randomF32(E, 3, 0.2) : undefined;
    if (bias) tensors.set('moe.gate.bias', Tensor.fromF32(bias, [E]));
    const Is = 48, block: [number, number] = [32, 32];
    const sh = dsv4 ? { gate: fp8Matrix(Is, H, block, 7), up: fp8Matrix(Is, H, block, 8), down: fp8Matrix(H, Is, block, 9) } : undefined;
    if (sh) {
      for (const [name, m, shape] of [['w1', sh.gate, [Is, H]], ['w3', sh.up, [Is, H]], ['w2', sh.down, [H, Is]]] as const) {
        tensors.set(`moe.shared_experts.${name}.weight`, bytesTensor('F8_E4M3', [...shape], m.weight));
        tensors.set(`moe.shared_experts.${name}.scale`, bytesTensor('F8_E8M0', m.scaleShape, m.scale));
      }
    }
    const routing: RouterConfig = { numExperts: E, topK: 2, scoring, normTopK: true, routedScalingFactor: dsv4 ? 1.5 : 1 };
    const spec: MoeSpec = {
      router: 'moe.gate', ...(bias ? { selectionBias: 'moe.gate.bias' } : {}), experts: 'moe.experts', naming, hiddenSize: H, intermediateSize: I, routing, activation,
      ...(sh ? { shared: { gate: 'moe.shared_experts.w1', up: 'moe.shared_experts.w3', down: 'moe.shared_experts.w2', intermediateSize: Is } } : {}),
    };
    const config = { quantization_config: { quant_method: 'fp8', weight_block_size: block, scale_fmt: 'ue8m0' } };
    for (const forcePortable of [false, true]) {
      const moe = createMoe(memoryStore(tensors), spec, config, testContext({ forcePortable }));
      expect(moe.experts.method).toBe('unquantized');
      expect(moe.quantChain).toEqual([]);
      const out = new Float32Array(T * H);
      moe.forward(out, x, T);
      const want = referenceMoe(x, T, router, routing, dtype === 'BF16' ? asBf16(experts) : experts, activation, bias,
        sh ? { gate: sh.gate.dense, up: sh.up.dense, down: sh.down.dense, Is } : undefined);
      for (let i = 0; i < T * H; i++) expect(Math.abs(out[i]! - want[i]!)).toBeLessThan(2e-5);
      const expertBytes = (dtype === 'BF16' ? 2 : 4) * 3 * I * H + (withBias ? 4 * (2 * I + H) : 0);
      const sharedBytes = sh ? 3 * Is * H + 3 * 2 * 2 : 0;
      expect(moe.weightBytesPerToken).toBe(E * H * 4 + (bias ? E * 4 : 0) + 2 * expertBytes + sharedBytes);
    }
  });

  it('Qwen-style: softmax without renormalization, a gated shared expert, and hash-routed ids', () => {
    const experts = randomExperts(300, false);
    const tensors = expertTensors('mlp.experts', { layout: 'per-expert', gate: 'gate_proj', up: 'up_proj', down: 'down_proj' }, experts, 'F32');
    tensors.set('mlp.gate.weight', Tensor.fromF32(router, [E, H]));
    const Is = 32;
    const shared = { gate: randomF32(Is * H, 11, 0.3), up: randomF32(Is * H, 12, 0.3), down: randomF32(H * Is, 13, 0.3), outGate: randomF32(H, 14, 0.3) };
    tensors.set('mlp.shared_expert.gate_proj.weight', Tensor.fromF32(shared.gate, [Is, H]));
    tensors.set('mlp.shared_expert.up_proj.weight', Tensor.fromF32(shared.up, [Is, H]));
    tensors.set('mlp.shared_expert.down_proj.weight', Tensor.fromF32(shared.down, [H, Is]));
    tensors.set('mlp.shared_expert_gate.weight', Tensor.fromF32(shared.outGate, [1, H]));
    const hf = moeConfigFromHf({ num_experts: E, num_experts_per_tok: 3, moe_intermediate_size: I, norm_topk_prob: false, shared_expert_intermediate_size: Is });
    expect(hf.routing).toMatchObject({ numExperts: E, topK: 3, scoring: 'softmax', normTopK: false, routedScalingFactor: 1 });
    expect(hf.sharedIntermediateSize).toBe(Is);
    const moe = createMoe(memoryStore(tensors), {
      router: 'mlp.gate', experts: 'mlp.experts', naming: { layout: 'per-expert', gate: 'gate_proj', up: 'up_proj', down: 'down_proj' },
      hiddenSize: H, intermediateSize: hf.intermediateSize, routing: hf.routing, activation: hf.activation,
      shared: { gate: 'mlp.shared_expert.gate_proj', up: 'mlp.shared_expert.up_proj', down: 'mlp.shared_expert.down_proj', intermediateSize: Is, outputGate: 'mlp.shared_expert_gate' },
    }, {}, testContext());
    const out = new Float32Array(T * H);
    moe.forward(out, x, T);
    const sharedRef = { ...shared, Is };
    let want = referenceMoe(x, T, router, hf.routing, experts, {}, undefined, sharedRef);
    for (let i = 0; i < T * H; i++) expect(Math.abs(out[i]! - want[i]!)).toBeLessThan(2e-5);

    const ids = Int32Array.from({ length: T * 3 }, (_, i) => (i * 5) % E);
    moe.forward(out, x, T, { expertIds: ids });
    want = referenceMoe(x, T, router, hf.routing, experts, {}, undefined, sharedRef, ids);
    for (let i = 0; i < T * H; i++) expect(Math.abs(out[i]! - want[i]!)).toBeLessThan(2e-5);
    expect(() => moe.forward(new Float32Array(H), x, T)).toThrow(RangeError);
  });
});

describe('createMoe with MXFP4 experts and no MXFP4 quant method', () => {
  function mxfp4Tensors(): Map<string, Tensor> {
    const t = new Map<string, Tensor>();
    t.set('ffn.gate.weight', Tensor.fromF32(randomF32(E * H, 1), [E, H]));
    for (let e = 0; e < E; e++) {
      for (const [w, rows, cols] of [['w1', I, H], ['w3', I, H], ['w2', H, I]] as const) {
        t.set(`ffn.experts.${e}.${w}.weight`, bytesTensor('I8', [rows, cols / 2], new Uint8Array(rows * cols / 2)));
        t.set(`ffn.experts.${e}.${w}.scale`, bytesTensor('F8_E8M0', [rows, cols / 32], new Uint8Array(rows * cols / 32).fill(127)));
      }
    }
    return t;
  }
  const spec: MoeSpec = {
    router: 'ffn.gate', experts: 'ffn.experts', naming: DSV4_EXPERT_NAMING, hiddenSize: H, intermediateSize: I,
    routing: { numExperts: E, topK: 2, scoring: 'sqrtsoftplus', normTopK: true },
  };

  it('fails at load naming the method, the plugin and why it is missing, never running the float path', () => {
    const disabled: ProviderLookup = (kind, name) => (kind === 'quantMethods' && name === 'mxfp4' ? { pluginId: 'mxfp4', status: 'disabled', reason: 'listed in PLEXUS_DISABLED_PLUGINS' } : undefined);
    let err: unknown;
    try {
      createMoe(memoryStore(mxfp4Tensors()), spec, { expert_dtype: 'fp4' }, testContext(), { providers: disabled });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(QuantMethodUnavailableError);
    expect((err as QuantMethodUnavailableError).method).toBe('mxfp4');
    expect((err as Error).message).toMatch(/ffn\.experts.*MXFP4.*plugin 'mxfp4'.*disabled.*PLEXUS_DISABLED_PLUGINS/);

    const cause = new Error('simulated import failure');
    const failed: ProviderLookup = () => ({ pluginId: 'mxfp4', status: 'failed', cause });
    expect(() => createMoe(memoryStore(mxfp4Tensors()), spec, {}, testContext(), { providers: failed })).toThrow(/plugin 'mxfp4'.*failed to load: Error: simulated import failure/);
    expect(() => createMoe(memoryStore(mxfp4Tensors()), spec, {}, testContext())).toThrow(/quant method 'mxfp4' \(plugin 'mxfp4'\) is not registered/);
    // a build context that carries the lookup (a ModelLoadContext passed through) works the same
    expect(() => createMoe(memoryStore(mxfp4Tensors()), spec, {}, { ...testContext(), providers: failed })).toThrow(/failed to load: Error: simulated import failure/);
  });

  it('recognizes gpt-oss stacked *_blocks experts too', () => {
    const t = new Map<string, Tensor>();
    t.set('mlp.router.weight', Tensor.fromF32(randomF32(E * H, 1), [E, H]));
    t.set('mlp.experts.gate_up_proj_blocks', bytesTensor('U8', [E, 2 * I, H / 32, 16], new Uint8Array(E * 2 * I * H / 2)));
    t.set('mlp.experts.gate_up_proj_scales', bytesTensor('U8', [E, 2 * I, H / 32], new Uint8Array(E * 2 * I * H / 32)));
    expect(() => createMoe(memoryStore(t), { ...spec, router: 'mlp.router', experts: 'mlp.experts', naming: GPT_OSS_EXPERT_NAMING }, {}, testContext()))
      .toThrow(/gate_up_proj_blocks.*no registered quant method/);
  });
});
