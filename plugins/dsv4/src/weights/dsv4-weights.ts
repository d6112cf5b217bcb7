/**
 * Binds a DeepSeek-V4 checkpoint (either naming scheme) to the structures the forward pass reads. Linear
 * layers and the MoE go through createLinear / createMoe, so their quant method (unquantized, FP8 block,
 * MXFP4 experts from a quant plugin) is whatever the QuantMethodRegistry picks; every shape is checked
 * against config.json here, before the first forward.
 */
import type { Tensor, TensorStore } from '@plexus/core';
import type { Dsv4Config, Dsv4LayerSpec } from '../config/dsv4-config.ts';
import { createLinear, createMoe, type Linear, type MoeLayer, type QuantBuildContext } from '../layers/core-layers.ts';
import { createGroupedLinear, type GroupedLinear } from './grouped-linear.ts';
import { detectNaming, type CompressorNames, type Dsv4Names, type HcNames } from './tensor-names.ts';
import { TensorReader } from './tensor-reads.ts';

export interface HcWeights {
  /** [mixes, hcMult·hidden] */
  readonly fn: Tensor;
  readonly base: Float32Array;
  readonly scale: Float32Array;
}

export interface CompressorWeights {
  /** [c·dim, hidden], c = 2 with overlap */
  readonly wkv: Linear;
  readonly wgate: Linear;
  /** position bias [ratio, c·dim], added to the gate score of the token at each in-window offset */
  readonly ape: Float32Array;
  readonly norm: Tensor;
  readonly dim: number;
  readonly ratio: number;
  readonly overlap: boolean;
}

export interface IndexerWeights {
  readonly wqB: Linear;
  readonly weightsProj: Linear;
  readonly compressor: CompressorWeights;
}

export interface AttentionWeights {
  readonly wqA: Linear;
  readonly qNorm: Tensor;
  readonly wqB: Linear;
  readonly wkv: Linear;
  readonly kvNorm: Tensor;
  readonly woA: GroupedLinear;
  readonly woB: Linear;
  readonly sinks: Float32Array;
  readonly compressor?: CompressorWeights;
  readonly indexer?: IndexerWeights;
}

export interface LayerWeights {
  readonly spec: Dsv4LayerSpec;
  readonly attnNorm: Tensor;
  readonly ffnNorm: Tensor;
  readonly hcAttn: HcWeights;
  readonly hcFfn: HcWeights;
  readonly attention: AttentionWeights;
  readonly moe: MoeLayer;
  /** hash-routed layers: [vocab, topK] expert ids */
  readonly tid2eid?: Int32Array;
}

export interface Dsv4Weights {
  readonly names: Dsv4Names;
  readonly embed: Tensor;
  readonly head: Linear;
  readonly finalNorm: Tensor;
  readonly hcHead: HcWeights;
  readonly layers: readonly LayerWeights[];
  /** weights read per decoded token (roofline numerator) */
  readonly bytesPerToken: number;
}

export function bindDsv4Weights(store: TensorStore, c: Dsv4Config, modelConfig: Readonly<Record<string, unknown>>, ctx: QuantBuildContext, source: string): Dsv4Weights {
  const names = detectNaming(store, source);
  const read = new TensorReader(store, source);
  const D = c.hiddenSize;
  const linear = (prefix: string, out: number, inp: number) => createLinear(store, prefix, modelConfig, ctx, { shape: [out, inp], bias: false, source });
  const hc = (n: HcNames, mixes: number, scales: number, what: string): HcWeights => ({
    fn: read.kernelWeight(n.fn, [mixes, c.hcMult * D], `${what} mixing matrix`),
    base: read.floats(n.base, [mixes], `${what} bias`),
    scale: read.floats(n.scale, [scales], `${what} scales`),
  });
  const compressor = (n: CompressorNames, dim: number, ratio: number, overlap: boolean, what: string): CompressorWeights => {
    const width = (overlap ? 2 : 1) * dim;
    return {
      wkv: linear(n.wkv, width, D),
      wgate: linear(n.wgate, width, D),
      ape: read.floats(n.ape, [ratio, width], `${what} position bias`),
      norm: read.kernelWeight(n.norm, [dim], `${what} norm`),
      dim,
      ratio,
      overlap,
    };
  };

  const embed = read.kernelWeight(names.embed, [c.vocabSize, D], 'token embedding');
  const head = store.has(names.head) || !c.tieWordEmbeddings
    ? linear(names.head.replace(/\.weight$/, ''), c.vocabSize, D)
    : linear(names.embed.replace(/\.weight$/, ''), c.vocabSize, D);
  const hcMixes = (2 + c.hcMult) * c.hcMult;

  const layers = c.layers.map((spec): LayerWeights => {
    const n = names.layer(spec.index);
    const H = c.numHeads, hd = c.headDim;
    const attention: AttentionWeights = {
      wqA: linear(n.wqA, c.qLoraRank, D),
      qNorm: read.kernelWeight(n.qNorm, [c.qLoraRank], 'q_norm'),
      wqB: linear(n.wqB, H * hd, c.qLoraRank),
      wkv: linear(n.wkv, hd, D),
      kvNorm: read.kernelWeight(n.kvNorm, [hd], 'kv_norm'),
      woA: createGroupedLinear(store, n.woA, c.oGroups, c.oLoraRank, (H * hd) / c.oGroups, modelConfig, ctx, source),
      woB: linear(n.woB, D, c.oGroups * c.oLoraRank),
      sinks: read.floats(n.sink, [H], 'attention sinks'),
      ...(spec.ratio > 0 ? { compressor: compressor(n.compressor, hd, spec.ratio, spec.overlap, `layer ${spec.index} compressor`) } : {}),
      ...(spec.indexer ? {
        indexer: {
          wqB: linear(n.indexer.wqB, c.indexHeads * c.indexHeadDim, c.qLoraRank),
          weightsProj: linear(n.indexer.weightsProj, c.indexHeads, D),
          compressor: compressor(n.indexer.compressor, c.indexHeadDim, spec.ratio, spec.overlap, `layer ${spec.index} indexer compressor`),
        },
      } : {}),
    };
    const F = c.moeIntermediateSize;
    const moe = createMoe(store, {
      router: n.router,
      ...(!spec.hashRouted && store.has(n.routerBias) ? { selectionBias: n.routerBias } : {}),
      experts: n.experts,
      naming: n.expertNaming,
      hiddenSize: D,
      intermediateSize: F,
      routing: { numExperts: c.numExperts, topK: c.topK, scoring: c.scoring, normTopK: c.normTopK, routedScalingFactor: c.routedScalingFactor },
      activation: c.swigluLimit !== undefined ? { limit: c.swigluLimit } : {},
      ...(c.numSharedExperts ? { shared: { ...n.shared, intermediateSize: F } } : {}),
    }, modelConfig, ctx, { source });
    return {
      spec,
      attnNorm: read.kernelWeight(n.attnNorm, [D], 'attention norm'),
      ffnNorm: read.kernelWeight(n.ffnNorm, [D], 'ffn norm'),
      hcAttn: hc(n.hcAttn, hcMixes, 3, `layer ${spec.index} attention hyper-connection`),
      hcFfn: hc(n.hcFfn, hcMixes, 3, `layer ${spec.index} ffn hyper-connection`),
      attention,
      moe,
      ...(spec.hashRouted ? { tid2eid: read.indices(n.tid2eid, [c.vocabSize, c.topK], c.numExperts, 'hash routing table tid2eid') } : {}),
    };
  });

  const attentionBytes = (a: AttentionWeights) => {
    const comp = (x?: CompressorWeights) => (x ? x.wkv.weightBytes + x.wgate.weightBytes : 0);
    return a.wqA.weightBytes + a.wqB.weightBytes + a.wkv.weightBytes + a.woA.weightBytes + a.woB.weightBytes + comp(a.compressor) +
      (a.indexer ? a.indexer.wqB.weightBytes + a.indexer.weightsProj.weightBytes + comp(a.indexer.compressor) : 0);
  };
  const hcBytes = (h: HcWeights) => h.fn.byteLength;
  const bytesPerToken = head.weightBytes + embed.byteLength / c.vocabSize +
    layers.reduce((s, l) => s + attentionBytes(l.attention) + l.moe.weightBytesPerToken + hcBytes(l.hcAttn) + hcBytes(l.hcFfn), 0);

  return {
    names,
    embed,
    head,
    finalNorm: read.kernelWeight(names.finalNorm, [D], 'final norm'),
    hcHead: hc(names.hcHead, c.hcMult, 1, 'hc head'),
    layers,
    bytesPerToken,
  };
}
