/**
 * DeepseekV4ForCausalLM as a CausalLM over the V4 KV pool:
 *   X = n copies of embed(token)  →  per layer: X = hc_post(attention(attn_norm(hc_pre(X))))
 *                                            X = hc_post(MoE(ffn_norm(hc_pre(X))))
 *   logits = head(norm(hc_head(X)))  (only for the sequences that want logits)
 * Prefill, chunked prefill and decode are the same code: every token's cache data is written first and the
 * attention reads it back through the block tables, so decoding equals a full forward over the same tokens.
 * Not simulated: DeepSeek's QAT round trips (FP8 KV, FP4 indexer) — transformers omits them too.
 */
import { CheckpointFormatError, InvalidArgumentError, type CausalLM, type Checkpoint, type ForwardBatch, type KernelOps, type KvPoolRequest } from '@plexus/core';
import { parseDsv4Config, type Dsv4Config } from '../config/dsv4-config.ts';
import { ropeTable, type RopeTable } from '../config/rope-config.ts';
import { isV4KvPool } from '../kv/v4-kv-pool.ts';
import { v4CacheLayout } from '../kv/v4-cache-layout.ts';
import type { QuantBuildContext } from '../layers/core-layers.ts';
import { DSV4_KV_POOL_ID } from '../manifest.ts';
import { bindDsv4Weights, type Dsv4Weights } from '../weights/dsv4-weights.ts';
import '../kernels/kernel-ops.ts';
import { attention, type AttentionContext } from './attention.ts';
import { HyperConnections, type HcMix } from './hyper-connections.ts';
import { Scratch } from './scratch.ts';
import { sequenceViews } from './sequence-view.ts';

export interface Dsv4ModelOptions {
  /** cap on positions (default: max_position_embeddings) */
  maxContextLength?: number;
}

export function createDsv4Model(checkpoint: Checkpoint, ctx: QuantBuildContext, opts: Dsv4ModelOptions = {}): CausalLM {
  const file = `${checkpoint.dir}/config.json`;
  const config = parseDsv4Config(checkpoint.config, checkpoint.architecture, file);
  const ropes = { main: table(config.rope.main, file, 'main'), compress: table(config.rope.compress, file, 'compress') };
  const weights = bindDsv4Weights(checkpoint.tensors, config, checkpoint.config, ctx, checkpoint.dir);
  const max = opts.maxContextLength ?? config.maxPositionEmbeddings;
  if (!Number.isSafeInteger(max) || max < 1) throw new InvalidArgumentError(`maxContextLength must be a positive integer, got ${max}`, 'maxContextLength');
  return new Dsv4Model(config, checkpoint.config, weights, ropes, ctx.ops, Math.min(max, config.maxPositionEmbeddings));
}

function table(rope: Dsv4Config['rope']['main'], file: string, which: string): RopeTable {
  try {
    return ropeTable(rope);
  } catch (cause) {
    throw new CheckpointFormatError(file, `the ${which} RoPE settings are invalid: ${(cause as Error).message}`, undefined, { cause });
  }
}

class Dsv4Model implements CausalLM {
  readonly architecture: string;
  readonly vocabSize: number;
  readonly weightBytesPerToken: number;
  private readonly hc: HyperConnections;
  private readonly scratch = new Scratch();
  private disposed = false;

  constructor(
    readonly config: Dsv4Config,
    private readonly rawConfig: Readonly<Record<string, unknown>>,
    private readonly weights: Dsv4Weights,
    private readonly ropes: AttentionContext['ropes'],
    private readonly ops: KernelOps,
    readonly maxContextLength: number,
  ) {
    this.architecture = config.architecture;
    this.vocabSize = config.vocabSize;
    this.weightBytesPerToken = weights.bytesPerToken;
    this.hc = new HyperConnections(ops, config.hcMult, config.hiddenSize, config.hcSinkhornIters, config.hcEps, config.rmsNormEps);
  }

  /**
   * The V4 pool ignores the dims below (it lays itself out from modelConfig); they are chosen so that the
   * core's generic pricing numLayers·blockSize·numKvHeads·(headDim + headDimV)·4 covers the V4 pool's real
   * bytes per block (raw rows + compressor state + entries), for engines that price without asking the pool.
   */
  kvRequest(blockSize: number, numBlocks: number): KvPoolRequest {
    const c = this.config;
    const perLayerToken = Math.ceil(v4CacheLayout(c, blockSize).floatsPerBlock / (c.numLayers * blockSize));
    return { numLayers: c.numLayers, numKvHeads: 1, headDim: c.headDim, headDimV: perLayerToken - c.headDim, blockSize, numBlocks, modelConfig: this.rawConfig };
  }

  forward(batch: ForwardBatch): Float32Array {
    if (this.disposed) throw new Error('DeepseekV4 model: forward after dispose');
    const pool = batch.kv;
    if (!isV4KvPool(pool)) {
      throw new InvalidArgumentError(`DeepSeek-V4 needs the '${DSV4_KV_POOL_ID}' KV pool, got '${pool.id}'; the dsv4 plugin registers it in the KvPoolRegistry — ` +
        'create the pool through the registry (another plugin\'s pool must not claim DeepSeek-V4 models)', 'kv');
    }
    const c = this.config, D = c.hiddenSize, n = c.hcMult, bs = pool.blockSize;
    if (pool.layout.layers.length !== c.numLayers) throw new InvalidArgumentError(`V4 KV pool has ${pool.layout.layers.length} layers, the model ${c.numLayers}`, 'kv');
    const seqs = sequenceViews(batch, bs, pool.numBlocks, this.maxContextLength);
    const T = batch.tokens.length;
    for (let i = 0; i < T; i++) {
      const id = batch.tokens[i]!;
      if (!(id >= 0 && id < c.vocabSize)) throw new InvalidArgumentError(`token id ${id} at row ${i} is outside the vocabulary [0, ${c.vocabSize})`, 'tokens');
    }
    const s = this.scratch;
    const positions = batch.positions;

    let X = s.f32('x.a', T * n * D);
    let Xnext = s.f32('x.b', T * n * D);
    const e = s.f32('embed', T * D);
    this.ops.embedding(e, this.weights.embed, batch.tokens);
    for (let t = 0; t < T; t++) for (let j = 0; j < n; j++) X.set(e.subarray(t * D, (t + 1) * D), (t * n + j) * D);

    const mix: HcMix = { post: s.f32('hc.post', T * n), comb: s.f32('hc.comb', T * n * n) };
    const collapsed = s.f32('collapsed', T * D);
    const normed = s.f32('normed', T * D);
    const sub = s.f32('sublayer', T * D);
    const cx: AttentionContext = { ops: this.ops, config: c, blockSize: bs, ropes: this.ropes, scratch: s };
    for (const layer of this.weights.layers) {
      this.hc.pre(collapsed, X, layer.hcAttn, T, mix, s);
      this.ops.rmsnorm(normed, collapsed, layer.attnNorm, T, D, c.rmsNormEps);
      attention(cx, layer.spec, layer.attention, pool.cache(layer.spec.index), sub, normed, positions, seqs);
      this.hc.post(Xnext, sub, X, mix, T);
      [X, Xnext] = [Xnext, X];

      this.hc.pre(collapsed, X, layer.hcFfn, T, mix, s);
      this.ops.rmsnorm(normed, collapsed, layer.ffnNorm, T, D, c.rmsNormEps);
      const expertIds = layer.tid2eid ? this.hashExperts(layer.tid2eid, batch.tokens) : undefined;
      layer.moe.forward(sub, normed, T, expertIds ? { expertIds } : {});
      this.hc.post(Xnext, sub, X, mix, T);
      [X, Xnext] = [Xnext, X];
    }
    return this.logits(X, seqs.filter((q) => q.wantLogits).map((q) => q.qStart + q.qLen - 1));
  }

  private hashExperts(tid2eid: Int32Array, tokens: Int32Array): Int32Array {
    const k = this.config.topK;
    const ids = this.scratch.i32('hashIds', tokens.length * k);
    for (let t = 0; t < tokens.length; t++) ids.set(tid2eid.subarray(tokens[t]! * k, (tokens[t]! + 1) * k), t * k);
    return ids;
  }

  /** hc head, final norm and lm head for the given rows; a fresh array (the caller keeps it) */
  private logits(X: Float32Array, rows: number[]): Float32Array {
    const c = this.config, D = c.hiddenSize, n = c.hcMult, R = rows.length;
    const out = new Float32Array(R * c.vocabSize);
    if (R === 0) return out;
    const s = this.scratch;
    const picked = s.f32('logits.streams', R * n * D);
    rows.forEach((row, i) => picked.set(X.subarray(row * n * D, (row + 1) * n * D), i * n * D));
    const y = s.f32('logits.y', R * D);
    const normed = s.f32('logits.normed', R * D);
    this.hc.head(y, picked, this.weights.hcHead, R, s);
    this.ops.rmsnorm(normed, y, this.weights.finalNorm, R, D, c.rmsNormEps);
    this.weights.head.forward(out, normed, R);
    return out;
  }

  dispose(): void {
    this.disposed = true;
    this.scratch.clear();
  }
}
