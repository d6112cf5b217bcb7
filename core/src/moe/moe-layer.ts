/**
 * createMoe: a generic mixture-of-experts block. Router (a Linear) → routing (router.ts) → tokens grouped
 * by expert (expert-plan.ts) → routed experts from the quant method the QuantMethodRegistry picks for a
 * 'moe' layer (unquantized here; MXFP4 from the mxfp4 plugin) → plus the shared expert (Linears, so FP8
 * shared experts work too).
 *
 *   const moe = createMoe(store, {
 *     router: 'layers.3.ffn.gate', selectionBias: 'layers.3.ffn.gate.bias',
 *     experts: 'layers.3.ffn.experts', naming: DSV4_EXPERT_NAMING,
 *     hiddenSize: 4096, intermediateSize: 2048, routing, activation: { limit: 10 },
 *     shared: { gate: 'layers.3.ffn.shared_experts.w1', up: '…w3', down: '…w2', intermediateSize: 2048 },
 *   }, checkpoint.config, ctx);
 *   moe.forward(out, x, T);                       // or { expertIds } for hash-routed layers
 */
import type { SwigluActivation } from '@plexus/native';
import { InvalidArgumentError } from '../errors.ts';
import type { ProviderLookup } from '../kernel/registries/provider-lookup.ts';
import type { TensorStore } from '../model/types.ts';
import { ensureCoreQuant } from '../quant/core-quant-methods.ts';
import { createLinear } from '../quant/create-linear.ts';
import type { Linear, QuantBuildContext } from '../quant/linear.ts';
import { quantConfigOf } from '../quant/quant-config.ts';
import { floatVector, requireTensor } from '../quant/tensor-checks.ts';
import { applyActivation, validateActivation } from './activation.ts';
import { buildExpertPlan } from './expert-plan.ts';
import { expertTensorName, type ExpertNaming, type ExpertPart, type MoeExperts, type MoeExpertsMethod, type MoeLayerInfo } from './experts-method.ts';
import { missingExpertMethodError, mxfp4Evidence } from './missing-quant-method.ts';
import { route, validateRouterConfig, type RouterConfig, type Routing } from './router.ts';
import { UNQUANTIZED_EXPERTS } from './unquantized-experts.ts';

export interface SharedExpertSpec {
  /** linear prefixes */
  readonly gate: string;
  readonly up: string;
  readonly down: string;
  readonly intermediateSize: number;
  /** Qwen-MoE's shared_expert_gate: `<outputGate>.weight` [1, H]; the shared output is scaled by sigmoid(x · g) */
  readonly outputGate?: string;
  /** default: the routed experts' activation */
  readonly activation?: SwigluActivation;
}

export interface MoeSpec {
  /** router linear prefix: `<router>.weight` [E, H] */
  readonly router: string;
  /** full name of the selection bias [E] (DeepSeek e_score_correction_bias / V4 `gate.bias`); only chooses experts */
  readonly selectionBias?: string;
  /** routed experts' tensor prefix */
  readonly experts: string;
  readonly naming: ExpertNaming;
  readonly hiddenSize: number;
  /** per routed expert */
  readonly intermediateSize: number;
  readonly routing: RouterConfig;
  readonly activation?: SwigluActivation;
  readonly shared?: SharedExpertSpec;
}

export interface MoeOptions {
  /** names the checkpoint in errors */
  readonly source?: string;
  /** the plugin loader's provider lookup, so a missing quant method's error names its plugin and cause (default: ctx.providers) */
  readonly providers?: ProviderLookup;
}

export interface MoeForwardOptions {
  /** precomputed experts [T, topK] (hash routing: DeepSeek-V4 tid2eid); scores still weight them */
  readonly expertIds?: Int32Array;
}

export interface MoeLayer {
  readonly numExperts: number;
  readonly topK: number;
  readonly hiddenSize: number;
  readonly experts: MoeExperts;
  /** quant wrappers that built the experts, innermost first ([] = the core's unquantized method) */
  readonly quantChain: readonly string[];
  /** router + topK experts + shared expert, per token (decode roofline) */
  readonly weightBytesPerToken: number;
  route(x: Float32Array, T: number, expertIds?: Int32Array): Routing;
  /** out[T, H] = MoE(x[T, H]) */
  forward(out: Float32Array, x: Float32Array, T: number, opts?: MoeForwardOptions): void;
}

interface SharedExpert {
  gate: Linear;
  up: Linear;
  down: Linear;
  outputGate?: Linear;
  activation: SwigluActivation;
}

export function createMoe(store: TensorStore, spec: MoeSpec, modelConfig: Readonly<Record<string, unknown>>, ctx: QuantBuildContext, opts: MoeOptions = {}): MoeLayer {
  validateRouterConfig(spec.routing);
  const activation = spec.activation ?? {};
  validateActivation(activation, `MoE ${spec.experts}`);
  const { hiddenSize: H, intermediateSize: I } = spec;
  if (!Number.isSafeInteger(H) || H < 1 || !Number.isSafeInteger(I) || I < 1) {
    throw new InvalidArgumentError(`MoE ${spec.experts}: hiddenSize and intermediateSize must be positive integers, got ${H} and ${I}`);
  }
  const E = spec.routing.numExperts, k = spec.routing.topK;
  const source = opts.source ?? 'checkpoint';
  const providers = opts.providers ?? ctx.providers;
  ensureCoreQuant(ctx);

  const router = createLinear(store, spec.router, modelConfig, ctx, { shape: [E, H], bias: false, source });
  const selectionBias = spec.selectionBias !== undefined
    ? floatVector(requireTensor(store, spec.selectionBias, source, { what: 'router selection bias', shape: [E] }), spec.selectionBias, source, E)
    : undefined;

  const info: MoeLayerInfo = {
    name: spec.experts,
    kind: 'moe',
    store,
    source,
    ops: ctx.ops,
    ...(ctx.kernels ? { kernels: ctx.kernels } : {}),
    numExperts: E,
    hiddenSize: H,
    intermediateSize: I,
    naming: spec.naming,
    activation,
    tensorName: (part: ExpertPart, expert: number | undefined, suffix: string) => expertTensorName(spec.experts, spec.naming, part, expert, suffix),
    ...(providers ? { providers } : {}),
  };
  const quantConfig = quantConfigOf(modelConfig);
  const { method, chain } = ctx.quant.wrap<MoeExpertsMethod>(info, UNQUANTIZED_EXPERTS, quantConfig);
  if (chain.length === 0) {
    // nobody claimed the layer: quantized experts must fail loudly here, never run through the float path
    const evidence = mxfp4Evidence(info);
    if (evidence) throw missingExpertMethodError(info, evidence, ctx.quant.ids(), providers);
  }
  const experts = method.create(info);

  const shared = spec.shared ? bindShared(store, spec.shared, activation, H, modelConfig, ctx, source) : undefined;
  const sharedBytes = shared ? shared.gate.weightBytes + shared.up.weightBytes + shared.down.weightBytes + (shared.outputGate?.weightBytes ?? 0) : 0;
  const weightBytesPerToken = router.weightBytes + (selectionBias?.byteLength ?? 0) + k * experts.bytesPerExpert + sharedBytes;

  let logits = new Float32Array(0);
  let sharedBuf = new Float32Array(0);
  const routeTokens = (x: Float32Array, T: number, expertIds?: Int32Array): Routing => {
    if (!Number.isSafeInteger(T) || T < 0 || x.length !== T * H) throw new RangeError(`MoE ${spec.experts}: x has ${x.length} values, expected T*hidden = ${T}*${H}`);
    if (logits.length < T * E) logits = new Float32Array(T * E);
    const l = logits.subarray(0, T * E);
    router.forward(l, x, T);
    return route(l, T, spec.routing, selectionBias, expertIds);
  };

  return {
    numExperts: E,
    topK: k,
    hiddenSize: H,
    experts,
    quantChain: chain,
    weightBytesPerToken,
    route: routeTokens,
    forward(out, x, T, fwd = {}) {
      if (out.length !== T * H) throw new RangeError(`MoE ${spec.experts}: out has ${out.length} values, expected T*hidden = ${T}*${H}`);
      const routing = routeTokens(x, T, fwd.expertIds);
      experts.run(out, x, buildExpertPlan(routing, T, k, E));
      if (!shared) return;
      const Is = spec.shared!.intermediateSize;
      const need = T * (3 * Is + H + 1);
      if (sharedBuf.length < need) sharedBuf = new Float32Array(need);
      let off = 0;
      const take = (len: number) => sharedBuf.subarray(off, (off += len));
      const g = take(T * Is), u = take(T * Is), h = take(T * Is), y = take(T * H), gate = take(T);
      shared.gate.forward(g, x, T);
      shared.up.forward(u, x, T);
      applyActivation(ctx.ops, h, g, u, T * Is, shared.activation);
      shared.down.forward(y, h, T);
      if (shared.outputGate) shared.outputGate.forward(gate, x, T);
      for (let t = 0; t < T; t++) {
        const s = shared.outputGate ? 1 / (1 + Math.exp(-gate[t]!)) : 1;
        for (let j = 0; j < H; j++) out[t * H + j]! += s * y[t * H + j]!;
      }
    },
  };
}

function bindShared(store: TensorStore, s: SharedExpertSpec, routedActivation: SwigluActivation, H: number,
  modelConfig: Readonly<Record<string, unknown>>, ctx: QuantBuildContext, source: string): SharedExpert {
  const Is = s.intermediateSize;
  const activation = s.activation ?? routedActivation;
  validateActivation(activation, `shared expert ${s.gate}`);
  const lin = (prefix: string, shape: [number, number]) => createLinear(store, prefix, modelConfig, ctx, { shape, source });
  return {
    gate: lin(s.gate, [Is, H]),
    up: lin(s.up, [Is, H]),
    down: lin(s.down, [H, Is]),
    ...(s.outputGate ? { outputGate: lin(s.outputGate, [1, H]) } : {}),
    activation,
  };
}
