/**
 * The dense Llama-family decoder (Llama, Mistral, Qwen2, Qwen3) as a CausalLM over the core's paged KV
 * pool. Weights are the checkpoint's own tensors; activations live in reused scratch buffers.
 */
import { InvalidArgumentError, type CausalLM, type Checkpoint, type ForwardBatch, type KvPoolRequest, type NativeOps } from '@plexus/core';
import { parseDenseConfig, type DenseConfig } from './config/dense-config.ts';
import { bindDenseWeights, type DenseLayerWeights, type DenseWeights, type Linear } from './weights/dense-weights.ts';
import { ropeFrequencies } from './rope-frequencies.ts';
import { Activations } from './forward/activations.ts';
import { BatchLayoutBuilder, type BatchLayout } from './forward/batch-layout.ts';
import { GrowableF32 } from './forward/growable.ts';
import { addInPlace, gatherRows } from './forward/residual.ts';

export interface DenseModelOptions {
  /** cap on positions (defaults to config max_position_embeddings) */
  maxContextLength?: number;
}

export function createDenseModel(checkpoint: Checkpoint, ops: NativeOps, opts: DenseModelOptions = {}): CausalLM {
  const configFile = `${checkpoint.dir}/config.json`;
  const cfg = parseDenseConfig(checkpoint.config, checkpoint.architecture, configFile);
  const weights = bindDenseWeights(checkpoint.tensors, cfg, checkpoint.dir);
  if (opts.maxContextLength !== undefined && !(Number.isSafeInteger(opts.maxContextLength) && opts.maxContextLength > 0)) {
    throw new InvalidArgumentError(`maxContextLength must be a positive integer, got ${opts.maxContextLength}`, 'maxContextLength');
  }
  return new DenseModel(cfg, checkpoint.config, weights, ops, opts.maxContextLength ?? cfg.maxPositionEmbeddings);
}

class DenseModel implements CausalLM {
  readonly architecture: string;
  readonly vocabSize: number;
  readonly weightBytesPerToken: number;
  private readonly invFreq: Float32Array;
  private readonly mscale: number;
  private readonly scale: number;
  private readonly acts: Activations;
  private readonly layout: BatchLayoutBuilder;
  private readonly lastRows = new GrowableF32();
  private readonly lastNormed = new GrowableF32();
  private disposed = false;

  constructor(
    readonly config: DenseConfig,
    private readonly rawConfig: Readonly<Record<string, unknown>>,
    private readonly weights: DenseWeights,
    private readonly ops: NativeOps,
    readonly maxContextLength: number,
  ) {
    this.architecture = config.architecture;
    this.vocabSize = config.vocabSize;
    this.weightBytesPerToken = weights.bytesPerToken;
    const rope = ropeFrequencies(config.rope, config.maxPositionEmbeddings);
    this.invFreq = rope.invFreq;
    this.mscale = rope.mscale;
    this.scale = 1 / Math.sqrt(config.headDim);
    this.acts = new Activations(config);
    this.layout = new BatchLayoutBuilder(config.vocabSize);
  }

  kvRequest(blockSize: number, numBlocks: number): KvPoolRequest {
    const c = this.config;
    return { numLayers: c.numLayers, numKvHeads: c.numKvHeads, headDim: c.headDim, headDimV: c.headDim, blockSize, numBlocks, modelConfig: this.rawConfig };
  }

  forward(batch: ForwardBatch): Float32Array {
    if (this.disposed) throw new Error('DenseModel.forward after dispose');
    const layout = this.layout.build(batch);
    const T = layout.numTokens;
    const a = this.acts.forTokens(T);
    this.ops.embedding(a.residual, this.weights.embedding, batch.tokens);
    for (let l = 0; l < this.weights.layers.length; l++) this.layer(l, this.weights.layers[l], batch, layout);
    return this.logits(layout);
  }

  private layer(index: number, w: DenseLayerWeights, batch: ForwardBatch, layout: BatchLayout): void {
    const { ops, config: c } = this;
    const T = layout.numTokens;
    const a = this.acts.forTokens(T);

    ops.rmsnorm(a.normed, a.residual, w.inputNorm, T, c.hiddenSize, c.rmsNormEps);
    this.linear(a.qProj, a.normed, w.q, T);
    this.linear(a.kProj, a.normed, w.k, T);
    this.linear(a.v, a.normed, w.v, T);
    if (w.qNorm && w.kNorm) {
      ops.rmsnorm(a.q, a.qProj, w.qNorm, T * c.numHeads, c.headDim, c.rmsNormEps);
      ops.rmsnorm(a.k, a.kProj, w.kNorm, T * c.numKvHeads, c.headDim, c.rmsNormEps);
    }
    const rope = { positions: batch.positions, headDim: c.headDim, rotaryDim: c.rope.rotaryDim, invFreq: this.invFreq, mscale: this.mscale, layout: 'neox' as const };
    ops.rope({ ...rope, x: a.q, nHeads: c.numHeads });
    ops.rope({ ...rope, x: a.k, nHeads: c.numKvHeads });

    const cache = batch.kv.layer(index);
    const paged = { kCache: cache.k, vCache: cache.v, blockSize: batch.kv.blockSize, nKvHeads: c.numKvHeads, headDim: c.headDim, headDimV: c.headDim };
    ops.storeKv({ ...paged, k: a.k, v: a.v, slotMapping: batch.slotMapping });
    ops.attention({
      ...paged,
      q: a.q,
      out: a.attn,
      nHeads: c.numHeads,
      scale: this.scale,
      seqQStart: layout.seqQStart,
      seqQLen: layout.seqQLen,
      seqKvLen: layout.seqKvLen,
      blockTables: layout.blockTables,
      blockTableStart: layout.blockTableStart,
      slidingWindow: c.slidingWindows[index],
    });
    this.linear(a.blockOut, a.attn, w.o, T);
    addInPlace(a.residual, a.blockOut);

    ops.rmsnorm(a.normed, a.residual, w.postAttentionNorm, T, c.hiddenSize, c.rmsNormEps);
    this.linear(a.gate, a.normed, w.gate, T);
    this.linear(a.up, a.normed, w.up, T);
    ops.swiglu(a.act, a.gate, a.up);
    this.linear(a.blockOut, a.act, w.down, T);
    addInPlace(a.residual, a.blockOut);
  }

  /** final norm and lm_head, only for the rows whose sequences asked for logits */
  private logits(layout: BatchLayout): Float32Array {
    const { hiddenSize: H, vocabSize: V, rmsNormEps } = this.config;
    const n = layout.logitRows.length;
    const out = new Float32Array(n * V); // handed to the caller, so not a scratch buffer
    if (n === 0) return out;
    const a = this.acts.forTokens(layout.numTokens);
    const rows = this.lastRows.take(n * H);
    const normed = this.lastNormed.take(n * H);
    gatherRows(rows, a.residual, layout.logitRows, H);
    this.ops.rmsnorm(normed, rows, this.weights.finalNorm, n, H, rmsNormEps);
    this.ops.matmul({ out, x: normed, w: this.weights.lmHead, M: n });
    return out;
  }

  private linear(out: Float32Array, x: Float32Array, l: Linear, M: number): void {
    if (l.bias) this.ops.matmul({ out, x, w: l.weight, M, bias: l.bias });
    else this.ops.matmul({ out, x, w: l.weight, M });
  }

  dispose(): void {
    this.disposed = true;
  }
}
