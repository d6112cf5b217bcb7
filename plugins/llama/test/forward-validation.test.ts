/** Malformed batches and options are clear InvalidArgumentErrors, never an out-of-bounds kernel read. */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, Tensor, type BatchSequence, type ForwardBatch } from '@plexus/core';
import { nativeOps } from '@plexus/native';
import { createDenseModel } from '../src/model/index.ts';
import { toF32Vector } from '../src/model/weights/f32-vector.ts';
import { PagedDriver } from './support/paged-driver.ts';
import { randomDenseCheckpoint } from './support/random-checkpoint.ts';

const shape = { hidden: 32, layers: 1, heads: 4, kvHeads: 2, headDim: 8, inter: 48, vocab: 50 };

describe('forward input validation', () => {
  const model = createDenseModel(randomDenseCheckpoint('LlamaForCausalLM', shape), nativeOps('optimized'));
  const driver = new PagedDriver(model, 4);
  const seq = (over: Partial<BatchSequence> = {}): BatchSequence => ({ qStart: 0, qLen: 2, kvLen: 2, blockTable: Int32Array.of(0), wantLogits: true, ...over });
  const batch = (over: Partial<ForwardBatch> = {}): ForwardBatch => ({
    tokens: Int32Array.of(1, 2), positions: Int32Array.of(0, 1), slotMapping: Int32Array.of(0, 1), seqs: [seq()], kv: driver.pool, ...over,
  });

  it('accepts a well-formed batch and returns [wanted seqs, vocab] logits', () => {
    expect(model.forward(batch())).toHaveLength(shape.vocab);
    expect(model.forward(batch({ seqs: [seq({ wantLogits: false })] }))).toHaveLength(0);
  });

  it.each<[string, Partial<ForwardBatch>, RegExp]>([
    ['a token outside the vocabulary', { tokens: Int32Array.of(1, 50) }, /token id 50/],
    ['a negative token id', { tokens: Int32Array.of(-1, 2) }, /token id -1/],
    ['mismatched positions', { positions: Int32Array.of(0) }, /equal length/],
    ['a KV slot outside the pool', { slotMapping: Int32Array.of(0, 4 * 16) }, /KV slot 64/],
    ['an empty batch', { tokens: new Int32Array(0), positions: new Int32Array(0), slotMapping: new Int32Array(0), seqs: [] }, /no tokens/],
    ['sequences not covering the tokens', { seqs: [seq({ qLen: 1, kvLen: 1 })] }, /cover 1 of 2/],
    ['kvLen below qLen', { seqs: [seq({ kvLen: 1 })] }, /kvLen 1 < qLen 2/],
    ['a block table too short', { seqs: [seq({ kvLen: 20, blockTable: Int32Array.of(0) })] }, /needs 2 KV blocks/],
    ['a block id outside the pool', { seqs: [seq({ blockTable: Int32Array.of(9) })] }, /KV block 9/],
  ])('rejects %s', (_what, over, message) => {
    expect(() => model.forward(batch(over))).toThrow(InvalidArgumentError);
    expect(() => model.forward(batch(over))).toThrow(message);
  });

  it('rejects a bad maxContextLength option and reports the KV request', () => {
    const ck = randomDenseCheckpoint('LlamaForCausalLM', shape);
    expect(() => createDenseModel(ck, nativeOps('optimized'), { maxContextLength: 0 })).toThrow(InvalidArgumentError);
    expect(createDenseModel(ck, nativeOps('optimized'), { maxContextLength: 100 }).maxContextLength).toBe(100);
    expect(model.maxContextLength).toBe(4096);
    expect(model.kvRequest(16, 7)).toMatchObject({ numLayers: 1, numKvHeads: 2, headDim: 8, headDimV: 8, blockSize: 16, numBlocks: 7 });
  });
});

describe('bias vectors', () => {
  it('views aligned F32 in place and widens BF16 / F16 / misaligned F32', () => {
    const f32 = Float32Array.of(1.5, -2, 3.25);
    const view = toF32Vector(Tensor.fromF32(f32, [3]));
    expect(view.buffer).toBe(f32.buffer);

    const bf16 = new Tensor('BF16', [3], Uint16Array.of(0x3fc0, 0xc000, 0x4050).buffer);
    expect([...toF32Vector(bf16)]).toEqual([1.5, -2, 3.25]);
    const f16 = new Tensor('F16', [4], Uint16Array.of(0x3e00, 0xc000, 0x4280, 0x0001).buffer);
    expect([...toF32Vector(f16)]).toEqual([1.5, -2, 3.25, 2 ** -24]);

    const bytes = new Uint8Array(16);
    bytes.set(new Uint8Array(f32.buffer), 2);
    expect([...toF32Vector(new Tensor('F32', [3], bytes.buffer, 2))]).toEqual([1.5, -2, 3.25]);
  });
});
