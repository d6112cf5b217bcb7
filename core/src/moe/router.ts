/**
 * Router: logits → scores → the top-k experts of every token and their weights.
 *  1. scores = softmax | sigmoid | sqrtsoftplus of the logits (per token, over the experts);
 *  2. selection = scores + selection bias (DeepSeek's e_score_correction_bias: used only to choose);
 *  3. optional group limiting: keep the topKGroups best groups (score of a group = sum of its two best
 *     selection scores, or its best), then pick within them;
 *  4. top-k by selection, ties to the lower expert index (or ids given by the caller: hash routing);
 *  5. weights = scores of the chosen experts, renormalized to sum 1 when normTopK, times the routed scale.
 */
import { InvalidArgumentError } from '../errors.ts';

export type ScoringFunc = 'softmax' | 'sigmoid' | 'sqrtsoftplus';
export const SCORING_FUNCS: readonly ScoringFunc[] = ['softmax', 'sigmoid', 'sqrtsoftplus'];

export interface RouterConfig {
  readonly numExperts: number;
  readonly topK: number;
  readonly scoring: ScoringFunc;
  readonly normTopK: boolean;
  /** default 1 */
  readonly routedScalingFactor?: number;
  /** group-limited routing (DeepSeek-V3 n_group / topk_group) */
  readonly numGroups?: number;
  readonly topKGroups?: number;
  /** default 'top2-sum' (noaux_tc); 'max' is DeepSeek-V2's group_limited_greedy */
  readonly groupScore?: 'top2-sum' | 'max';
}

/** [T, topK] expert ids and weights, row-major */
export interface Routing {
  readonly ids: Int32Array;
  readonly weights: Float32Array;
}

/** HF adds this to the renormalization denominator so an all-zero row stays finite */
const NORM_EPS = 1e-20;

export function validateRouterConfig(c: RouterConfig): void {
  const bad = (msg: string) => new InvalidArgumentError(`MoE router: ${msg}`);
  if (!Number.isSafeInteger(c.numExperts) || c.numExperts < 1) throw bad(`numExperts must be a positive integer, got ${c.numExperts}`);
  if (!Number.isSafeInteger(c.topK) || c.topK < 1 || c.topK > c.numExperts) throw bad(`topK must be in [1, numExperts = ${c.numExperts}], got ${c.topK}`);
  if (!SCORING_FUNCS.includes(c.scoring)) throw bad(`scoring must be one of ${SCORING_FUNCS.join(', ')}, got ${String(c.scoring)}`);
  if (c.routedScalingFactor !== undefined && !Number.isFinite(c.routedScalingFactor)) throw bad(`routedScalingFactor must be finite, got ${c.routedScalingFactor}`);
  if (c.numGroups !== undefined && c.numGroups > 1) {
    const g = c.numGroups, kg = c.topKGroups ?? g;
    if (!Number.isSafeInteger(g) || c.numExperts % g !== 0) throw bad(`numGroups (${g}) must divide numExperts (${c.numExperts})`);
    if (!Number.isSafeInteger(kg) || kg < 1 || kg > g) throw bad(`topKGroups must be in [1, numGroups = ${g}], got ${kg}`);
    if (c.topK > kg * (c.numExperts / g)) throw bad(`topK (${c.topK}) exceeds the experts in ${kg} groups of ${c.numExperts / g}`);
  }
}

/** scores[T, E] from logits[T, E] (float64 math, stored as float32) */
export function routerScores(logits: Float32Array, T: number, E: number, scoring: ScoringFunc): Float32Array {
  const scores = new Float32Array(T * E);
  for (let t = 0; t < T; t++) {
    const o = t * E;
    if (scoring === 'softmax') {
      let max = -Infinity;
      for (let e = 0; e < E; e++) max = Math.max(max, logits[o + e]!);
      let sum = 0;
      for (let e = 0; e < E; e++) sum += Math.exp(logits[o + e]! - max);
      for (let e = 0; e < E; e++) scores[o + e] = Math.exp(logits[o + e]! - max) / sum;
    } else if (scoring === 'sigmoid') {
      for (let e = 0; e < E; e++) scores[o + e] = 1 / (1 + Math.exp(-logits[o + e]!));
    } else {
      // torch softplus (beta 1, threshold 20): x above 20 passes through
      for (let e = 0; e < E; e++) {
        const v = logits[o + e]!;
        scores[o + e] = Math.sqrt(v > 20 ? v : Math.log1p(Math.exp(v)));
      }
    }
  }
  return scores;
}

/**
 * Indices of the k largest values[offset + i] for i in `candidates` (or 0..n-1), descending; ties to the
 * lower index; NaN ranks below everything.
 */
export function topKIndices(values: Float32Array, offset: number, n: number, k: number, out: Int32Array, outOffset: number, allowed?: (i: number) => boolean): void {
  let filled = 0;
  for (let i = 0; i < n; i++) {
    if (allowed && !allowed(i)) continue;
    const v = rank(values[offset + i]!);
    if (filled === k && v <= rank(values[offset + out[outOffset + k - 1]!]!)) continue;
    // insertion: strictly greater moves ahead, equal stays behind (lower index first, as i ascends)
    let j = filled < k ? filled++ : k - 1;
    while (j > 0 && v > rank(values[offset + out[outOffset + j - 1]!]!)) {
      out[outOffset + j] = out[outOffset + j - 1]!;
      j--;
    }
    out[outOffset + j] = i;
  }
  if (filled < k) throw new RangeError(`topKIndices: only ${filled} candidates for k = ${k}`);
}

function rank(v: number): number {
  return Number.isNaN(v) ? -Infinity : v;
}

export function route(logits: Float32Array, T: number, cfg: RouterConfig, selectionBias?: Float32Array, fixedIds?: Int32Array): Routing {
  const E = cfg.numExperts, k = cfg.topK;
  if (logits.length !== T * E) throw new RangeError(`route: logits has ${logits.length} values, expected T*E = ${T}*${E}`);
  if (selectionBias && selectionBias.length !== E) throw new RangeError(`route: selection bias has ${selectionBias.length} values, expected ${E}`);
  const scores = routerScores(logits, T, E, cfg.scoring);
  const ids = new Int32Array(T * k);
  if (fixedIds) {
    if (fixedIds.length !== T * k) throw new RangeError(`route: expertIds has ${fixedIds.length} entries, expected T*topK = ${T}*${k}`);
    for (let i = 0; i < fixedIds.length; i++) {
      const e = fixedIds[i]!;
      if (!Number.isInteger(e) || e < 0 || e >= E) throw new RangeError(`route: expertIds[${i}] = ${e} is outside [0, ${E})`);
    }
    ids.set(fixedIds);
  } else {
    const select = selectionBias ? withBias(scores, T, E, selectionBias) : scores;
    const groups = cfg.numGroups !== undefined && cfg.numGroups > 1 ? cfg.numGroups : 1;
    for (let t = 0; t < T; t++) {
      if (groups === 1) topKIndices(select, t * E, E, k, ids, t * k);
      else selectInGroups(select, t * E, cfg, groups, ids, t * k);
    }
  }
  const weights = new Float32Array(T * k);
  const scale = cfg.routedScalingFactor ?? 1;
  for (let t = 0; t < T; t++) {
    let sum = 0;
    for (let j = 0; j < k; j++) sum += scores[t * E + ids[t * k + j]!]!;
    const norm = cfg.normTopK ? 1 / (sum + NORM_EPS) : 1;
    for (let j = 0; j < k; j++) weights[t * k + j] = scores[t * E + ids[t * k + j]!]! * norm * scale;
  }
  return { ids, weights };
}

function withBias(scores: Float32Array, T: number, E: number, bias: Float32Array): Float32Array {
  const out = new Float32Array(T * E);
  for (let t = 0; t < T; t++) for (let e = 0; e < E; e++) out[t * E + e] = scores[t * E + e]! + bias[e]!;
  return out;
}

function selectInGroups(select: Float32Array, offset: number, cfg: RouterConfig, G: number, ids: Int32Array, outOffset: number): void {
  const E = cfg.numExperts, per = E / G, kg = cfg.topKGroups ?? G;
  const groupScores = new Float32Array(G);
  const best = new Int32Array(2);
  for (let g = 0; g < G; g++) {
    if (cfg.groupScore === 'max' || per < 2) {
      topKIndices(select, offset + g * per, per, 1, best, 0);
      groupScores[g] = select[offset + g * per + best[0]!]!;
    } else {
      topKIndices(select, offset + g * per, per, 2, best, 0);
      groupScores[g] = select[offset + g * per + best[0]!]! + select[offset + g * per + best[1]!]!;
    }
  }
  const chosen = new Int32Array(kg);
  topKIndices(groupScores, 0, G, kg, chosen, 0);
  const keep = new Uint8Array(G);
  for (const g of chosen) keep[g] = 1;
  topKIndices(select, offset, E, cfg.topK, ids, outOffset, (e) => keep[Math.floor(e / per)] === 1);
}
