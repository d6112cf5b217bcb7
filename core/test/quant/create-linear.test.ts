/** createLinear through the QuantMethodRegistry: unquantized and fp8-block, both kernel paths, and every load-time rejection. */
import { describe, expect, it } from 'vitest';
import { Tensor } from '@plexus/native';
import { CheckpointFormatError, ExtensionFailedError } from '../../src/errors.ts';
import { Declined } from '../../src/kernel/registries/quant-method-registry.ts';
import { createLinear } from '../../src/quant/create-linear.ts';
import { registerCoreQuant } from '../../src/quant/core-quant-methods.ts';
import type { LinearMethod } from '../../src/quant/linear.ts';
import { bf16Bytes, bf16Values, bytesTensor, fp8Matrix, maxAbsDiff, memoryStore, randomF32, refLinear, testContext } from './support.ts';

const FP8_CONFIG = { quantization_config: { quant_method: 'fp8', weight_block_size: [128, 128], scale_fmt: 'ue8m0' } };

function fp8Store(N: number, K: number, block: [number, number], opts: { scaleName?: string; scaleDtype?: 'F8_E8M0' | 'F32'; bias?: boolean } = {}) {
  const m = fp8Matrix(N, K, block, N * 31 + K);
  const tensors = new Map<string, Tensor>();
  tensors.set('proj.weight', bytesTensor('F8_E4M3', [N, K], m.weight));
  const scaleName = opts.scaleName ?? 'proj.scale';
  if (opts.scaleDtype === 'F32') tensors.set(scaleName, Tensor.fromF32(Float32Array.from(m.scale, (b) => 2 ** (b - 127)), m.scaleShape));
  else tensors.set(scaleName, bytesTensor('F8_E8M0', m.scaleShape, m.scale));
  const bias = opts.bias ? randomF32(N, 5) : undefined;
  if (bias) tensors.set('proj.bias', Tensor.fromF32(bias, [N]));
  return { store: memoryStore(tensors), dense: m.dense, bias, tensors };
}

describe('createLinear: fp8-block', () => {
  it.each([
    // dims that are not multiples of 128 leave partial blocks at the edges
    [200, 300, [128, 128]],
    [64, 96, [32, 32]],
    [37, 75, [16, 48]],
  ] as Array<[number, number, [number, number]]>)('N=%i K=%i block %j matches dequantize-then-matmul, both kernel paths', (N, K, block) => {
    for (const forcePortable of [false, true]) {
      const ctx = testContext({ forcePortable });
      const { store, dense, bias } = fp8Store(N, K, block, { bias: true });
      const config = { quantization_config: { quant_method: 'fp8', weight_block_size: block, scale_fmt: 'ue8m0' } };
      const lin = createLinear(store, 'proj', config, ctx, { shape: [N, K] });
      expect(lin.method).toBe('fp8-block');
      expect(lin.weightBytes).toBe(N * K + Math.ceil(N / block[0]) * Math.ceil(K / block[1]) + 4 * N);
      for (const M of [1, 3, 7]) {
        const x = randomF32(M * K, M);
        const out = new Float32Array(M * N);
        lin.forward(out, x, M);
        const ref = refLinear(x, dense, M, N, K, bias);
        expect(maxAbsDiff(out, ref)).toBeLessThan(2e-5 * Math.sqrt(K));
      }
      const used = ctx.kernels.resolutions().filter((r) => r.op === 'fp8Matmul').map((r) => r.rowId);
      expect(used).toEqual([forcePortable ? 'fp8Matmul.portable' : 'fp8Matmul.avx2']);
    }
  });

  it('reads float scales from weight_scale_inv (FP8 "Base" checkpoints)', () => {
    const ctx = testContext();
    const { store, dense } = fp8Store(40, 256, [128, 128], { scaleName: 'proj.weight_scale_inv', scaleDtype: 'F32' });
    const lin = createLinear(store, 'proj', FP8_CONFIG, ctx);
    const x = randomF32(256, 1), out = new Float32Array(40);
    lin.forward(out, x, 1);
    expect(maxAbsDiff(out, refLinear(x, dense, 1, 40, 256))).toBeLessThan(1e-4);
  });

  it('rejects a NaN scale, a NaN weight, a missing or misshapen scale, each naming the tensor', () => {
    const ctx = testContext();
    const nanScale = fp8Store(130, 130, [128, 128]);
    nanScale.tensors.get('proj.scale')!.bytes()[3] = 0xff;
    expect(() => createLinear(nanScale.store, 'proj', FP8_CONFIG, ctx)).toThrow(CheckpointFormatError);
    expect(() => createLinear(nanScale.store, 'proj', FP8_CONFIG, ctx)).toThrow(/proj\.scale.*\[1, 1\].*NaN/);

    const nanWeight = fp8Store(8, 200, [128, 128]);
    nanWeight.tensors.get('proj.weight')!.bytes()[3 * 200 + 17] = 0x7f;
    expect(() => createLinear(nanWeight.store, 'proj', FP8_CONFIG, ctx)).toThrow(/proj\.weight.*\[3, 17\].*NaN/);

    const noScale = fp8Store(8, 64, [128, 128]);
    noScale.tensors.delete('proj.scale');
    expect(() => createLinear(noScale.store, 'proj', FP8_CONFIG, ctx)).toThrow(/no block scales/);

    const badBlock = fp8Store(8, 256, [128, 128]);
    expect(() => createLinear(badBlock.store, 'proj', { quantization_config: { quant_method: 'fp8', weight_block_size: [128, 64] } }, ctx))
      .toThrow(/expected \[1, 4\].*weight_block_size/);
    expect(() => createLinear(badBlock.store, 'proj', { quantization_config: { weight_block_size: [0, 128] } }, ctx)).toThrow(ExtensionFailedError);
  });

  it('checks the expected shape from config.json', () => {
    const { store } = fp8Store(8, 64, [128, 128]);
    expect(() => createLinear(store, 'proj', FP8_CONFIG, testContext(), { shape: [8, 65] })).toThrow(/shape \[8, 64\], expected \[8, 65\]/);
  });
});

describe('createLinear: unquantized', () => {
  it('runs BF16 weights in place with an optional bias', () => {
    const ctx = testContext();
    const w = randomF32(24 * 40, 3), b = randomF32(24, 4);
    const store = memoryStore(new Map([['lin.weight', bytesTensor('BF16', [24, 40], bf16Bytes(w))], ['lin.bias', Tensor.fromF32(b, [24])]]));
    const lin = createLinear(store, 'lin', {}, ctx);
    expect(lin.method).toBe('unquantized');
    expect(lin.weightBytes).toBe(24 * 40 * 2 + 24 * 4);
    const x = randomF32(2 * 40, 5), out = new Float32Array(2 * 24);
    lin.forward(out, x, 2);
    expect(maxAbsDiff(out, refLinear(x, bf16Values(w), 2, 24, 40, b))).toBeLessThan(1e-5);
    const noBias = createLinear(store, 'lin', {}, ctx, { bias: false });
    expect(noBias.weightBytes).toBe(24 * 40 * 2);
  });

  it('says which method a weight dtype it cannot read needs', () => {
    const ctx = testContext();
    const packed = memoryStore(new Map([['e.weight', bytesTensor('I8', [4, 16], new Uint8Array(64))]]));
    expect(() => createLinear(packed, 'e', {}, ctx)).toThrow(/I8 .*mxfp4/);
    // an F8 weight is claimed by fp8-block, so a missing scale is the error, not the dtype
    const fp8 = memoryStore(new Map([['f.weight', bytesTensor('F8_E4M3', [4, 16], new Uint8Array(64))]]));
    expect(() => createLinear(fp8, 'f', {}, ctx)).toThrow(/no block scales/);
    expect(() => createLinear(packed, 'missing', {}, ctx)).toThrow(/missing\.weight/);
  });
});

describe('core quant registration', () => {
  it('registers the fp8-block wrapper and the fp8Matmul rows once, and lets other wrappers see the layer', () => {
    const ctx = testContext();
    const dispose = registerCoreQuant(ctx);
    expect(ctx.quant.ids()).toEqual(['fp8-block']);
    expect(ctx.kernels.rows('fp8Matmul').map((r) => r.id)).toEqual(['fp8Matmul.avx2', 'fp8Matmul.portable']);
    // createLinear's own ensure step is a no-op now
    const { store } = fp8Store(8, 64, [128, 128]);
    createLinear(store, 'proj', FP8_CONFIG, ctx);
    expect(ctx.quant.ids()).toEqual(['fp8-block']);
    // a later wrapper (e.g. a plugin) receives the fp8 method as its inner method
    const seen: string[] = [];
    ctx.quant.register({ id: 'observer', priority: 50, predicate: (l) => (l.kind === 'linear' ? {} : undefined), factory: (_l, inner: LinearMethod) => { seen.push(inner.id); return Declined; } });
    createLinear(store, 'proj', FP8_CONFIG, ctx);
    expect(seen).toEqual(['fp8-block']);
    dispose();
    expect(ctx.kernels.rows('fp8Matmul')).toEqual([]);
  });
});
