/**
 * DeepSeek-V4 config.json → a validated Dsv4Config. Two spellings exist and both are read:
 *  - as DeepSeek ships it: `compress_ratios` (one per layer, plus the MTP layer's), `num_hash_layers`,
 *    `qk_rope_head_dim`, `rope_theta` + `compress_rope_theta` + `rope_scaling` (YaRN);
 *  - as transformers saves it: `layer_types` + `compress_rates`, `mlp_layer_types`, `partial_rotary_factor`,
 *    `rope_parameters` {main, compress} (or a flat dict = the compressed layers' scaling).
 * Layer kinds: ratio 0 → sliding window only; the CSA ratio (4) → overlapping compressor + lightning indexer;
 * any other ratio → heavily compressed attention (one entry per `ratio` tokens, all visible).
 */
import { ConfigReader, type RawConfig } from '@plexus/core';
import { parseRopePair, type Dsv4Rope } from './rope-config.ts';

export type AttentionKind = 'sliding' | 'csa' | 'hca';
export type ScoringFunc = 'sqrtsoftplus' | 'softmax' | 'sigmoid';

export interface Dsv4LayerSpec {
  readonly index: number;
  readonly kind: AttentionKind;
  /** tokens per compressed entry; 0 for sliding layers */
  readonly ratio: number;
  /** CSA: each entry mixes the previous window's "a" series with its own "b" series */
  readonly overlap: boolean;
  /** CSA: the lightning indexer picks the entries a query attends to */
  readonly indexer: boolean;
  /** MoE experts chosen by tid2eid[token] instead of the router's top-k */
  readonly hashRouted: boolean;
}

export interface Dsv4Config {
  readonly architecture: string;
  /** which spelling config.json used (informational; tensor names are detected from the checkpoint) */
  readonly keys: 'deepseek' | 'transformers';
  readonly vocabSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly numHeads: number;
  readonly headDim: number;
  /** rotated dims at the end of every head (and of every indexer head) */
  readonly ropeDim: number;
  readonly qLoraRank: number;
  readonly oGroups: number;
  readonly oLoraRank: number;
  /** tokens a query sees in its window, itself included */
  readonly slidingWindow: number;
  readonly indexHeads: number;
  readonly indexHeadDim: number;
  readonly indexTopK: number;
  readonly numExperts: number;
  readonly topK: number;
  readonly moeIntermediateSize: number;
  readonly numSharedExperts: 0 | 1;
  readonly scoring: ScoringFunc;
  readonly normTopK: boolean;
  readonly routedScalingFactor: number;
  /** SwiGLU clamp (gate ≤ L, |up| ≤ L); undefined = none */
  readonly swigluLimit: number | undefined;
  readonly hcMult: number;
  readonly hcSinkhornIters: number;
  readonly hcEps: number;
  readonly rmsNormEps: number;
  readonly maxPositionEmbeddings: number;
  readonly tieWordEmbeddings: boolean;
  /** sliding layers: plain RoPE; compressed layers (and their compressors and indexer): compress RoPE (+YaRN) */
  readonly rope: Dsv4Rope;
  readonly layers: readonly Dsv4LayerSpec[];
}

const LAYER_TYPE_KINDS: Readonly<Record<string, AttentionKind>> = {
  sliding_attention: 'sliding',
  compressed_sparse_attention: 'csa',
  heavily_compressed_attention: 'hca',
};
const DEFAULT_RATES = { csa: 4, hca: 128 };
const CSA_RATIO = 4;
const SCORING: readonly ScoringFunc[] = ['sqrtsoftplus', 'softmax', 'sigmoid'];

export function parseDsv4Config(raw: RawConfig, architecture = 'DeepseekV4ForCausalLM', file = 'config.json'): Dsv4Config {
  if (raw === null || typeof raw !== 'object') throw new TypeError('parseDsv4Config: config must be an object');
  const r = new ConfigReader(file, raw);
  const keys = r.has('layer_types') || r.has('rope_parameters') || r.has('mlp_layer_types') ? 'transformers' : 'deepseek';

  const hiddenSize = r.int('hidden_size');
  const numLayers = r.int('num_hidden_layers');
  const numHeads = r.int('num_attention_heads');
  const headDim = r.int('head_dim');
  if (r.has('num_key_value_heads') && r.int('num_key_value_heads') !== 1) {
    r.fail('num_key_value_heads', `must be 1 (DeepSeek-V4 shares one K=V head), got ${String(raw['num_key_value_heads'])}`);
  }
  const ropeDim = parseRopeDim(r, headDim);
  const oGroups = r.int('o_groups');
  if (numHeads % oGroups !== 0) r.fail('o_groups', `(${oGroups}) must divide num_attention_heads (${numHeads})`);

  const layers = parseLayers(r, numLayers);
  const anyIndexer = layers.some((l) => l.indexer);
  const indexHeadDim = r.int('index_head_dim', anyIndexer ? {} : { default: ropeDim });
  if (anyIndexer && (indexHeadDim < ropeDim || indexHeadDim % 2 !== 0)) {
    r.fail('index_head_dim', `(${indexHeadDim}) must be even and at least the rope dim (${ropeDim}): the indexer rotates its last ${ropeDim} dims`);
  }

  const numExperts = r.int('n_routed_experts');
  const topK = r.int('num_experts_per_tok');
  if (topK > numExperts) r.fail('num_experts_per_tok', `(${topK}) must not exceed n_routed_experts (${numExperts})`);
  const shared = r.int('n_shared_experts', { min: 0, default: 1 });
  if (shared > 1) r.fail('n_shared_experts', `must be 0 or 1 (DeepSeek-V4 has one shared expert), got ${shared}`);
  const scoring = r.string('scoring_func', 'sqrtsoftplus') as ScoringFunc;
  if (!SCORING.includes(scoring)) r.fail('scoring_func', `must be one of ${SCORING.join(', ')}, got "${scoring}"`);
  const act = r.string('hidden_act', 'silu');
  if (act !== 'silu') r.fail('hidden_act', `must be "silu" (SwiGLU experts), got "${act}"`);
  const swigluLimit = r.optionalNumber('swiglu_limit');
  if (swigluLimit !== undefined && !(swigluLimit > 0)) r.fail('swiglu_limit', `must be > 0 (or absent for no clamp), got ${swigluLimit}`);

  const hcMult = r.int('hc_mult', { default: 4 });
  return {
    architecture,
    keys,
    vocabSize: r.int('vocab_size'),
    hiddenSize,
    numLayers,
    numHeads,
    headDim,
    ropeDim,
    qLoraRank: r.int('q_lora_rank'),
    oGroups,
    oLoraRank: r.int('o_lora_rank'),
    slidingWindow: r.int('sliding_window'),
    indexHeads: r.int('index_n_heads', anyIndexer ? {} : { default: 1 }),
    indexHeadDim,
    indexTopK: r.int('index_topk', anyIndexer ? {} : { default: 1 }),
    numExperts,
    topK,
    moeIntermediateSize: r.int('moe_intermediate_size'),
    numSharedExperts: shared as 0 | 1,
    scoring,
    normTopK: r.bool('norm_topk_prob', true),
    routedScalingFactor: r.number('routed_scaling_factor', { default: 1, positive: true }),
    swigluLimit,
    hcMult,
    hcSinkhornIters: r.int('hc_sinkhorn_iters', { default: 20 }),
    hcEps: r.number('hc_eps', { default: 1e-6, positive: true }),
    rmsNormEps: r.number('rms_norm_eps', { default: 1e-6, positive: true }),
    maxPositionEmbeddings: r.int('max_position_embeddings', { default: 1048576 }),
    tieWordEmbeddings: r.bool('tie_word_embeddings', false),
    rope: parseRopePair(r, ropeDim),
    layers,
  };
}

/** qk_rope_head_dim (DeepSeek), else head_dim × partial_rotary_factor (transformers), else head_dim / 8 (HF's default 64/512) */
function parseRopeDim(r: ConfigReader, headDim: number): number {
  let dim: number;
  if (r.has('qk_rope_head_dim')) dim = r.int('qk_rope_head_dim');
  else if (r.has('partial_rotary_factor')) {
    const f = r.number('partial_rotary_factor', { positive: true });
    dim = Math.round(headDim * f);
    if (Math.abs(dim - headDim * f) > 1e-6) r.fail('partial_rotary_factor', `× head_dim (${headDim}) must be an integer, got ${headDim * f}`);
  } else dim = headDim / 8;
  if (!Number.isInteger(dim) || dim < 2 || dim % 2 !== 0 || dim > headDim) {
    r.fail(r.has('qk_rope_head_dim') ? 'qk_rope_head_dim' : 'partial_rotary_factor', `must give an even rope dim in [2, head_dim = ${headDim}], got ${dim}`);
  }
  return dim;
}

function parseLayers(r: ConfigReader, n: number): Dsv4LayerSpec[] {
  const kinds = r.has('layer_types') ? layersFromTypes(r, n) : layersFromRatios(r, n);
  const hash = hashLayers(r, n);
  return kinds.map((k, index) => ({ index, ...k, hashRouted: hash[index]! }));
}

type LayerShape = Pick<Dsv4LayerSpec, 'kind' | 'ratio' | 'overlap' | 'indexer'>;

function shapeOf(kind: AttentionKind, ratio: number): LayerShape {
  return { kind, ratio: kind === 'sliding' ? 0 : ratio, overlap: kind === 'csa', indexer: kind === 'csa' };
}

function layersFromTypes(r: ConfigReader, n: number): LayerShape[] {
  const types = r.array('layer_types')!;
  if (types.length !== n) r.fail('layer_types', `has ${types.length} entries, expected num_hidden_layers = ${n}`);
  const rates = r.object('compress_rates');
  const csa = rates?.int('compressed_sparse_attention', { default: DEFAULT_RATES.csa }) ?? DEFAULT_RATES.csa;
  const hca = rates?.int('heavily_compressed_attention', { default: DEFAULT_RATES.hca }) ?? DEFAULT_RATES.hca;
  return types.map((t, i) => {
    const kind = typeof t === 'string' ? LAYER_TYPE_KINDS[t] : undefined;
    if (!kind) r.fail(`layer_types[${i}]`, `must be one of ${Object.keys(LAYER_TYPE_KINDS).join(', ')}, got ${JSON.stringify(t)}`);
    return shapeOf(kind, kind === 'csa' ? csa : hca);
  });
}

function layersFromRatios(r: ConfigReader, n: number): LayerShape[] {
  const ratios = r.array('compress_ratios');
  if (!ratios) r.fail('compress_ratios', 'is required (one compression ratio per layer, 0 = sliding window only) unless layer_types is given');
  // DeepSeek lists the MTP layers' ratios after the main layers'; they are not part of this model
  if (ratios.length < n) r.fail('compress_ratios', `has ${ratios.length} entries, expected at least num_hidden_layers = ${n}`);
  return ratios.slice(0, n).map((v, i) => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v === 1) {
      r.fail(`compress_ratios[${i}]`, `must be 0 (sliding only) or an integer >= 2, got ${JSON.stringify(v)}`);
    }
    if (v === 0) return shapeOf('sliding', 0);
    return shapeOf(v === CSA_RATIO ? 'csa' : 'hca', v);
  });
}

function hashLayers(r: ConfigReader, n: number): boolean[] {
  const types = r.array('mlp_layer_types');
  if (types) {
    if (types.length !== n) r.fail('mlp_layer_types', `has ${types.length} entries, expected num_hidden_layers = ${n}`);
    return types.map((t, i) => {
      if (t !== 'hash_moe' && t !== 'moe') r.fail(`mlp_layer_types[${i}]`, `must be "hash_moe" or "moe", got ${JSON.stringify(t)}`);
      return t === 'hash_moe';
    });
  }
  // transformers' default when neither key is present: the first 3 layers are hash-routed
  const count = r.int('num_hash_layers', { min: 0, default: 3 });
  return Array.from({ length: n }, (_, i) => i < count);
}

/** the layers' distinct compression ratios, for messages and cache layout */
export function compressedRatios(c: Dsv4Config): number[] {
  return [...new Set(c.layers.filter((l) => l.ratio > 0).map((l) => l.ratio))].sort((a, b) => a - b);
}
