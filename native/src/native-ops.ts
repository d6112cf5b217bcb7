/**
 * NativeOps over the addon, for one implementation: 'optimized' (AVX2/FMA/F16C) or 'portable'
 * (plain C++). Object arguments are flattened here; the addon validates every length, dtype and index
 * and throws RangeError / TypeError (async ops reject instead).
 */
import { loadBinding } from './binding.ts';
import type { AttentionArgs, MatmulArgs, NativeOps, RopeArgs, StoreKvArgs, TopK } from './ops.ts';
import type { Tensor } from './tensor.ts';

export type KernelVariant = 'optimized' | 'portable';

type Raw = (...args: unknown[]) => unknown;

function weightArgs(op: string, name: string, w: Tensor, rank: number): [ArrayBuffer, number, string] {
  if (w === null || typeof w !== 'object' || !(w.buffer instanceof ArrayBuffer)) {
    throw new TypeError(`${op}: ${name} must be a Tensor`);
  }
  if (w.shape.length !== rank) throw new RangeError(`${op}: ${name} must have rank ${rank}, got shape [${w.shape.join(', ')}]`);
  if (!w.isContiguous) throw new RangeError(`${op}: ${name} must be contiguous (strides [${w.strides.join(', ')}]); copy it first`);
  return [w.buffer, w.byteOffset, w.dtype];
}

function matmulArgs(a: MatmulArgs): unknown[] {
  const [buf, off, dtype] = weightArgs('matmul', 'w', a.w, 2);
  return [a.out, a.x, buf, off, dtype, a.M, a.w.shape[0], a.w.shape[1], a.bias];
}

function ropeLayout(layout: unknown): boolean {
  if (layout !== 'neox' && layout !== 'interleaved') throw new TypeError(`rope: layout must be 'neox' or 'interleaved', got ${String(layout)}`);
  return layout === 'interleaved';
}

export function nativeOps(variant: KernelVariant): NativeOps {
  if (variant !== 'optimized' && variant !== 'portable') throw new TypeError(`nativeOps: variant must be 'optimized' or 'portable', got ${String(variant)}`);
  const b = loadBinding();
  const suffix = variant === 'optimized' ? '_avx2' : '_portable';
  const fn = (name: string): Raw => b[name + suffix] as unknown as Raw;
  const matmul = fn('matmul'), matmulAsync = fn('matmulAsync'), rmsnorm = fn('rmsnorm'), rope = fn('rope');
  const softmax = fn('softmax'), swiglu = fn('swiglu'), gelu = fn('gelu'), embedding = fn('embedding');
  const argmax = fn('argmax'), topk = fn('topk'), storeKv = fn('storeKv'), attention = fn('attention');
  const attentionAsync = fn('attentionAsync');

  return {
    matmul(a: MatmulArgs): void {
      matmul(...matmulArgs(a));
    },
    async matmulAsync(a: MatmulArgs): Promise<void> {
      await (matmulAsync(...matmulArgs(a)) as Promise<void>);
    },
    rmsnorm(out, x, weight, rows, dim, eps): void {
      if (weight === null || weight === undefined) {
        rmsnorm(out, x, null, 0, 'F32', rows, dim, eps);
      } else {
        if (weight.numel !== dim) throw new RangeError(`rmsnorm: weight has ${weight.numel} elements, expected dim = ${dim}`);
        const [buf, off, dtype] = weightArgs('rmsnorm', 'weight', weight, weight.shape.length);
        rmsnorm(out, x, buf, off, dtype, rows, dim, eps);
      }
    },
    rope(a: RopeArgs): void {
      rope(a.x, a.positions, a.nHeads, a.headDim, a.rotaryDim, a.rotaryOffset ?? 0, a.invFreq, a.mscale ?? 1,
        ropeLayout(a.layout), a.inverse ?? false);
    },
    softmax(x, rows, cols): void {
      softmax(x, rows, cols);
    },
    swiglu(out, gate, up, limit): void {
      swiglu(out, gate, up, limit);
    },
    gelu(out, x, approximate = 'none'): void {
      if (approximate !== 'none' && approximate !== 'tanh') throw new TypeError(`gelu: approximate must be 'none' or 'tanh', got ${String(approximate)}`);
      gelu(out, x, approximate === 'tanh');
    },
    embedding(out, table, ids): void {
      const [buf, off, dtype] = weightArgs('embedding', 'table', table, 2);
      embedding(out, buf, off, dtype, table.shape[0], table.shape[1], ids);
    },
    argmax(x, rows, cols): Int32Array {
      return argmax(x, rows, cols) as Int32Array;
    },
    topk(x, rows, cols, k): TopK {
      return topk(x, rows, cols, k) as TopK;
    },
    storeKv(a: StoreKvArgs): void {
      storeKv(a.kCache, a.vCache, a.blockSize, a.nKvHeads, a.headDim, a.headDimV, a.k, a.v, a.slotMapping);
    },
    attention(a: AttentionArgs): void {
      attention(a);
    },
    async attentionAsync(a: AttentionArgs): Promise<void> {
      await (attentionAsync(a) as Promise<void>);
    },
  };
}
