/**
 * The mxfp4 quant wrapper inside the core's generic MoE layer: DeepSeek-V4 per-expert and gpt-oss stacked
 * checkpoints give the same outputs as their dequantized float twins (both kernel paths); NaN scales and
 * unreadable layouts are rejected at load; float experts under expert_dtype "fp4" are left to the core.
 */
import { describe, expect, it } from 'vitest';
import { quantKernelRows, Tensor } from '@plexus/native';
import { CheckpointFormatError, ExtensionFailedError } from '../../../core/src/errors.ts';
import { createMoe, type MoeSpec } from '../../../core/src/moe/moe-layer.ts';
import { DSV4_EXPERT_NAMING, GPT_OSS_EXPERT_NAMING, type ExpertNaming, type SwigluActivation } from '../../../core/src/moe/experts-method.ts';
import { bytesTensor, memoryStore, mxfp4Matrix, randomF32, testContext, type TestContext } from '../../../core/test/quant/support.ts';
import { MXFP4_KERNEL_OPS } from '../src/manifest.ts';
import { MXFP4_MOE_WRAPPER } from '../src/moe-wrapper.ts';

const H = 64, I = 96, E = 5, T = 11;

function withMxfp4(ctx: TestContext): TestContext {
  ctx.quant.register(MXFP4_MOE_WRAPPER, 'mxfp4');
  for (const r of quantKernelRows(MXFP4_KERNEL_OPS)) ctx.kernels.register(r.op, { id: r.id, when: r.when, impl: r.impl as never, ...(r.priority ? { priority: r.priority } : {}) }, 'mxfp4');
  return ctx;
}

interface Checkpoint { packed: Map<string, Tensor>; twin: Map<string, Tensor> }

/** per-expert (w1 gate, w3 up, w2 down: I8 codes + E8M0 .scale) and its F32 twin */
function dsv4Experts(seed: number): Checkpoint {
  const packed = new Map<string, Tensor>(), twin = new Map<string, Tensor>();
  for (let e = 0; e < E; e++) {
    for (const [w, rows, cols] of [['w1', I, H], ['w3', I, H], ['w2', H, I]] as const) {
      const m = mxfp4Matrix(rows, cols, seed + 10 * e + rows);
      packed.set(`ffn.experts.${e}.${w}.weight`, bytesTensor('I8', [rows, cols / 2], m.codes));
      packed.set(`ffn.experts.${e}.${w}.scale`, bytesTensor('F8_E8M0', [rows, cols / 32], m.scales));
      twin.set(`ffn.experts.${e}.${w}.weight`, Tensor.fromF32(m.dense, [rows, cols]));
    }
  }
  return { packed, twin };
}

/** gpt-oss: gate_up_proj_blocks [E, 2I, H/32, 16] + _scales + _bias, down likewise; twin as stacked F32 */
function gptOssExperts(seed: number): Checkpoint {
  const gu = mxfp4Matrix(E * 2 * I, H, seed), dn = mxfp4Matrix(E * H, I, seed + 1);
  const gub = randomF32(E * 2 * I, seed + 2, 0.3), dnb = randomF32(E * H, seed + 3, 0.3);
  const packed = new Map<string, Tensor>([
    ['mlp.experts.gate_up_proj_blocks', bytesTensor('U8', [E, 2 * I, H / 32, 16], gu.codes)],
    ['mlp.experts.gate_up_proj_scales', bytesTensor('U8', [E, 2 * I, H / 32], gu.scales)],
    ['mlp.experts.gate_up_proj_bias', Tensor.fromF32(gub, [E, 2 * I])],
    ['mlp.experts.down_proj_blocks', bytesTensor('U8', [E, H, I / 32, 16], dn.codes)],
    ['mlp.experts.down_proj_scales', bytesTensor('U8', [E, H, I / 32], dn.scales)],
    ['mlp.experts.down_proj_bias', Tensor.fromF32(dnb, [E, H])],
  ]);
  const twin = new Map<string, Tensor>([
    ['mlp.experts.gate_up_proj', Tensor.fromF32(gu.dense, [E, 2 * I, H])],
    ['mlp.experts.gate_up_proj_bias', Tensor.fromF32(gub, [E * 2 * I])],
    ['mlp.experts.down_proj', Tensor.fromF32(dn.dense, [E, H, I])],
    ['mlp.experts.down_proj_bias', Tensor.fromF32(dnb, [E * H])],
  ]);
  return { packed, twin };
}

function spec(prefix: string, naming: ExpertNaming, activation: SwigluActivation): MoeSpec {
  return {
    router: `${prefix}.gate`, experts: `${prefix}.experts`, naming, hiddenSize: H, intermediateSize: I, activation,
    routing: { numExperts: E, topK: 3, scoring: 'sqrtsoftplus', normTopK: true, routedScalingFactor: 1.5 },
  };
}

function run(tensors: Map<string, Tensor>, s: MoeSpec, ctx: TestContext, x: Float32Array, n: number) {
  const moe = createMoe(memoryStore(tensors), s, { expert_dtype: 'fp4' }, ctx);
  const out = new Float32Array(n * H);
  moe.forward(out, x, n);
  return { moe, out };
}

function maxAbs(a: Float32Array): number {
  return a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
}

describe('mxfp4 experts in createMoe', () => {
  const router = randomF32(E * H, 7, 0.5);
  const cases: Array<[string, string, ExpertNaming, () => Checkpoint, SwigluActivation]> = [
    ['DeepSeek-V4 per-expert I8 + E8M0', 'ffn', DSV4_EXPERT_NAMING, () => dsv4Experts(50), { limit: 0.5 }],
    ['gpt-oss stacked blocks/scales with biases', 'mlp', GPT_OSS_EXPERT_NAMING, () => gptOssExperts(60), { limit: 7, alpha: 1.702, upOffset: 1 }],
  ];
  it.each(cases)('%s: same outputs as the dequantized twin, decode and prefill, both kernel paths', (_n, prefix, naming, make, activation) => {
    const ck = make();
    ck.packed.set(`${prefix}.gate.weight`, Tensor.fromF32(router, [E, H]));
    ck.twin.set(`${prefix}.gate.weight`, Tensor.fromF32(router, [E, H]));
    const s = spec(prefix, naming, activation);
    for (const forcePortable of [false, true]) {
      for (const n of [1, T, 40]) {
        const x = randomF32(n * H, n, 0.5);
        const q = run(ck.packed, s, withMxfp4(testContext({ forcePortable })), x, n);
        const twin = run(ck.twin, s, withMxfp4(testContext({ forcePortable })), x, n);
        expect(q.moe.experts.method).toBe('mxfp4');
        expect(q.moe.quantChain).toEqual(['mxfp4']);
        expect(twin.moe.experts.method).toBe('unquantized'); // float experts under expert_dtype "fp4": the wrapper declines
        const tol = (forcePortable ? 2e-5 : 3e-4) * maxAbs(twin.out);
        for (let i = 0; i < n * H; i++) expect(Math.abs(q.out[i]! - twin.out[i]!)).toBeLessThanOrEqual(tol);
      }
    }
    // bytes one expert reads: packed codes + scales (+ biases), about 17/32 byte per weight
    const moe = createMoe(memoryStore(ck.packed), s, {}, withMxfp4(testContext()));
    const perExpert = (3 * I * H * 17) / 32 + (naming.layout === 'stacked' ? 4 * (2 * I + H) : 0);
    expect(moe.experts.bytesPerExpert).toBe(perExpert);
  });

  it('rejects a NaN (0xFF) scale at load, naming the tensor, row and block', () => {
    const ck = dsv4Experts(80);
    ck.packed.set('ffn.gate.weight', Tensor.fromF32(router, [E, H]));
    ck.packed.get('ffn.experts.3.w2.scale')!.bytes()[5 * (I / 32) + 2] = 0xff;
    const build = () => createMoe(memoryStore(ck.packed), spec('ffn', DSV4_EXPERT_NAMING, {}), {}, withMxfp4(testContext()));
    expect(build).toThrow(CheckpointFormatError);
    expect(build).toThrow(/ffn\.experts\.3\.w2\.scale.*row 5, block 2.*0xFF \(NaN\)/);
  });

  it('rejects expert tensors of the wrong shape and says what it expected', () => {
    const ck = dsv4Experts(90);
    ck.packed.set('ffn.gate.weight', Tensor.fromF32(router, [E, H]));
    ck.packed.set('ffn.experts.1.w3.scale', bytesTensor('F8_E8M0', [I, 1], new Uint8Array(I)));
    expect(() => createMoe(memoryStore(ck.packed), spec('ffn', DSV4_EXPERT_NAMING, {}), {}, withMxfp4(testContext()))).toThrow(/w3\.scale.*\[96, 1\], expected \[96, 2\]/);
  });

  it('with expert_dtype "fp4" but experts in no MXFP4 layout it reads, fails loudly', () => {
    const t = new Map<string, Tensor>([['ffn.gate.weight', Tensor.fromF32(router, [E, H])]]);
    for (let e = 0; e < E; e++) for (const w of ['w1', 'w2', 'w3']) t.set(`ffn.experts.${e}.${w}.weight`, bytesTensor('I32', [4], new Uint8Array(16)));
    expect(() => createMoe(memoryStore(t), spec('ffn', DSV4_EXPERT_NAMING, {}), { expert_dtype: 'fp4' }, withMxfp4(testContext())))
      .toThrow(ExtensionFailedError);
    expect(() => createMoe(memoryStore(t), spec('ffn', DSV4_EXPERT_NAMING, {}), { expert_dtype: 'fp4' }, withMxfp4(testContext())))
      .toThrow(/'mxfp4'.*no MXFP4 layout/);
  });

  it('claims only MoE layers', () => {
    expect(MXFP4_MOE_WRAPPER.predicate({ name: 'x', kind: 'linear' }, { expert_dtype: 'fp4' })).toBeUndefined();
    expect(MXFP4_MOE_WRAPPER.priority).toBe(10);
  });
});
