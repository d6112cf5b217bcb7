/**
 * Which tokens stay samplable after temperature → top-k → top-p → min-p (HF warper order; top-p is
 * taken over the top-k survivors renormalised). Returns the survivors with unnormalised weights
 * exp((logit - max) / T). Built for 150k-entry vocabularies: top-k by partial selection, top-p by a
 * histogram over logit distance so only the one bucket that crosses p gets sorted.
 */
import { argmax, selectTop, sortIndices } from './select-top.ts';

export interface Candidates {
  ids: Int32Array;
  weights: Float64Array;
  count: number;
}

export interface TruncationParams {
  temperature: number;
  topK: number;
  topP: number;
  minP: number;
}

const BINS = 1024;
/** weights below e^-60 are zero in float64 sums next to 1; they go to the last bucket */
const MAX_DISTANCE = 60;

/** reusable buffers sized to the vocabulary */
export class TruncationScratch {
  readonly weights: Float64Array;
  readonly ids: Int32Array;
  readonly keptWeights: Float64Array;
  readonly binOf: Int32Array;
  readonly bucketIds: Int32Array;
  readonly binMass = new Float64Array(BINS);
  constructor(readonly vocabSize: number) {
    this.weights = new Float64Array(vocabSize);
    this.ids = new Int32Array(vocabSize);
    this.keptWeights = new Float64Array(vocabSize);
    this.binOf = new Int32Array(vocabSize);
    this.bucketIds = new Int32Array(vocabSize);
  }
}

/** `logits`: penalised logits, not temperature-scaled, no NaN / +Infinity; temperature must be > 0 */
export function truncate(logits: Float32Array, p: TruncationParams, s: TruncationScratch): Candidates {
  const n = logits.length;
  const invT = 1 / p.temperature;
  let max = -Infinity;
  for (let i = 0; i < n; i++) if (logits[i]! > max) max = logits[i]!;
  const minWeight = p.minP > 0 ? p.minP : 0;

  if (p.topK > 0 && p.topK < n) {
    const top = selectTop(logits, p.topK);
    let total = 0;
    for (let j = 0; j < top.length; j++) total += weightOf(logits[top[j]!]!, max, invT);
    const target = p.topP < 1 ? p.topP * total : Infinity;
    let count = 0;
    let cum = 0;
    for (let j = 0; j < top.length; j++) {
      if (cum >= target) break;
      const w = weightOf(logits[top[j]!]!, max, invT);
      cum += w;
      if (w < minWeight || w === 0) break; // sorted: everything after is smaller
      s.ids[count] = top[j]!;
      s.keptWeights[count++] = w;
    }
    return finish(s, count, logits);
  }

  if (p.topP < 1) return nucleus(logits, max, invT, p.topP, minWeight, s);

  let count = 0;
  for (let i = 0; i < n; i++) {
    const w = weightOf(logits[i]!, max, invT);
    if (w > 0 && w >= minWeight) {
      s.ids[count] = i;
      s.keptWeights[count++] = w;
    }
  }
  return finish(s, count, logits);
}

function weightOf(logit: number, max: number, invT: number): number {
  return logit === max ? 1 : Math.exp((logit - max) * invT);
}

/** top-p over the whole vocabulary: bucket by logit distance, sort only the crossing bucket */
function nucleus(logits: Float32Array, max: number, invT: number, topP: number, minWeight: number, s: TruncationScratch): Candidates {
  const n = logits.length;
  let total = 0;
  let maxDist = 0;
  for (let i = 0; i < n; i++) {
    const w = weightOf(logits[i]!, max, invT);
    s.weights[i] = w;
    total += w;
    const d = (max - logits[i]!) * invT;
    if (d > maxDist && d < Infinity) maxDist = d;
  }
  const range = Math.min(maxDist, MAX_DISTANCE);
  const scale = range > 0 ? BINS / range : 0;
  s.binMass.fill(0);
  for (let i = 0; i < n; i++) {
    const d = (max - logits[i]!) * invT;
    const b = d >= range ? BINS - 1 : Math.min(BINS - 1, Math.floor(d * scale));
    s.binOf[i] = b;
    s.binMass[b]! += s.weights[i]!;
  }
  const target = topP * total;
  let crossing = BINS - 1;
  let before = 0;
  for (let b = 0; b < BINS; b++) {
    if (before + s.binMass[b]! >= target) {
      crossing = b;
      break;
    }
    before += s.binMass[b]!;
  }
  // kept: every token of the buckets above the crossing one (id order), then the crossing bucket's
  // best tokens while the mass before them is still < p
  let count = 0;
  let crossingCount = 0;
  const crossingIds = s.bucketIds;
  for (let i = 0; i < n; i++) {
    const b = s.binOf[i]!;
    if (b < crossing) {
      const w = s.weights[i]!;
      if (w >= minWeight) {
        s.ids[count] = i;
        s.keptWeights[count++] = w;
      }
    } else if (b === crossing) {
      crossingIds[crossingCount++] = i;
    }
  }
  const sorted = sortIndices(crossingIds.subarray(0, crossingCount), logits);
  let cum = before;
  for (let j = 0; j < sorted.length; j++) {
    if (cum >= target) break;
    const id = sorted[j]!;
    const w = s.weights[id]!;
    cum += w;
    if (w >= minWeight && w > 0) {
      s.ids[count] = id;
      s.keptWeights[count++] = w;
    }
  }
  return finish(s, count, logits);
}

/** never leave nothing: the best token always survives (HF min_tokens_to_keep = 1) */
function finish(s: TruncationScratch, count: number, logits: Float32Array): Candidates {
  if (count === 0) {
    s.ids[0] = argmax(logits);
    s.keptWeights[0] = 1;
    count = 1;
  }
  return { ids: s.ids, weights: s.keptWeights, count };
}
