/** Router scoring, selection bias, group limiting, tie-break, renormalization, hash routing, and the expert plan. */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/errors.ts';
import { buildExpertPlan } from '../../src/moe/expert-plan.ts';
import { route, routerScores, validateRouterConfig, type RouterConfig, type ScoringFunc } from '../../src/moe/router.ts';
import { randomF32 } from '../quant/support.ts';

/** brute force from the definitions: sort-based top-k, float64 */
function referenceRoute(logits: Float32Array, T: number, c: RouterConfig, bias?: Float32Array): { ids: number[][]; weights: number[][] } {
  const E = c.numExperts;
  const ids: number[][] = [], weights: number[][] = [];
  const byValue = (v: number[]) => (a: number, b: number) => v[b]! - v[a]! || a - b;
  for (let t = 0; t < T; t++) {
    const l = Array.from(logits.subarray(t * E, (t + 1) * E));
    let s: number[];
    if (c.scoring === 'softmax') {
      const mx = Math.max(...l), z = l.reduce((acc, v) => acc + Math.exp(v - mx), 0);
      s = l.map((v) => Math.exp(v - mx) / z);
    } else if (c.scoring === 'sigmoid') s = l.map((v) => 1 / (1 + Math.exp(-v)));
    else s = l.map((v) => Math.sqrt(v > 20 ? v : Math.log(1 + Math.exp(v))));
    const sel = s.map((v, e) => v + (bias ? bias[e]! : 0));
    let candidates = [...Array(E).keys()];
    if (c.numGroups && c.numGroups > 1) {
      const per = E / c.numGroups;
      const gScore = [...Array(c.numGroups).keys()].map((g) => {
        const inG = sel.slice(g * per, (g + 1) * per).sort((a, b) => b - a);
        return c.groupScore === 'max' ? inG[0]! : inG[0]! + inG[1]!;
      });
      const keep = [...Array(c.numGroups).keys()].sort(byValue(gScore)).slice(0, c.topKGroups);
      candidates = candidates.filter((e) => keep.includes(Math.floor(e / per)));
    }
    const chosen = candidates.sort(byValue(sel)).slice(0, c.topK);
    const w = chosen.map((e) => s[e]!);
    const sum = w.reduce((a, b) => a + b, 0);
    ids.push(chosen);
    weights.push(w.map((v) => (c.normTopK ? v / sum : v) * (c.routedScalingFactor ?? 1)));
  }
  return { ids, weights };
}

function expectRouting(logits: Float32Array, T: number, c: RouterConfig, bias?: Float32Array): void {
  const got = route(logits, T, c, bias);
  const want = referenceRoute(logits, T, c, bias);
  for (let t = 0; t < T; t++) {
    expect(Array.from(got.ids.subarray(t * c.topK, (t + 1) * c.topK))).toEqual(want.ids[t]);
    for (let j = 0; j < c.topK; j++) expect(got.weights[t * c.topK + j]).toBeCloseTo(want.weights[t]![j]!, 6);
  }
}

describe('router', () => {
  it.each(['softmax', 'sigmoid', 'sqrtsoftplus'] as ScoringFunc[])('%s scores, with and without renormalization and routed scale', (scoring) => {
    const T = 40, E = 16;
    const logits = randomF32(T * E, 3, 4);
    logits[5] = 30; // sqrtsoftplus above the softplus threshold
    for (const normTopK of [true, false]) expectRouting(logits, T, { numExperts: E, topK: 4, scoring, normTopK, routedScalingFactor: 1.5 });
    if (scoring === 'sqrtsoftplus') expect(routerScores(logits, T, E, scoring)[5]).toBeCloseTo(Math.sqrt(30), 6);
  });

  it('uses the selection bias only to choose experts, never to weight them', () => {
    const E = 8;
    const logits = Float32Array.from([3, 2, 1, 0, -1, -2, -3, -4]);
    const bias = new Float32Array(E);
    bias[6] = 10;
    const c: RouterConfig = { numExperts: E, topK: 2, scoring: 'sigmoid', normTopK: false };
    const r = route(logits, 1, c, bias);
    expect(Array.from(r.ids)).toEqual([6, 0]);
    expect(r.weights[0]).toBeCloseTo(1 / (1 + Math.exp(3)), 6);
    expectRouting(randomF32(30 * E, 9, 2), 30, { ...c, normTopK: true }, randomF32(E, 10, 0.3));
  });

  it('breaks ties towards the lower expert index', () => {
    const r = route(new Float32Array(6).fill(0.5), 1, { numExperts: 6, topK: 3, scoring: 'softmax', normTopK: true });
    expect(Array.from(r.ids)).toEqual([0, 1, 2]);
    for (const w of r.weights) expect(w).toBeCloseTo(1 / 3, 6);
    const two = route(Float32Array.from([1, 5, 5, 1, 5]), 1, { numExperts: 5, topK: 2, scoring: 'sigmoid', normTopK: false });
    expect(Array.from(two.ids)).toEqual([1, 2]);
  });

  it('limits experts to the best groups (sum of the two best per group, or the best)', () => {
    const E = 16, T = 50;
    const logits = randomF32(T * E, 21, 3), bias = randomF32(E, 22, 0.5);
    for (const groupScore of ['top2-sum', 'max'] as const) {
      expectRouting(logits, T, { numExperts: E, topK: 3, scoring: 'sigmoid', normTopK: true, routedScalingFactor: 2.5, numGroups: 4, topKGroups: 2, groupScore }, bias);
    }
    // a case where the best single expert sits in a losing group
    const l = Float32Array.from([9, -9, 2, 2, 1, 1, -9, -9]);
    const r = route(l, 1, { numExperts: 8, topK: 2, scoring: 'sigmoid', normTopK: false, numGroups: 4, topKGroups: 1 });
    expect(Array.from(r.ids)).toEqual([2, 3]);
  });

  it('takes precomputed expert ids (hash routing) and still weights them by their scores', () => {
    const logits = randomF32(2 * 6, 4);
    const ids = Int32Array.from([5, 0, 2, 2]);
    const c: RouterConfig = { numExperts: 6, topK: 2, scoring: 'sqrtsoftplus', normTopK: true, routedScalingFactor: 1.5 };
    const r = route(logits, 2, c, undefined, ids);
    expect(Array.from(r.ids)).toEqual([5, 0, 2, 2]);
    const s = routerScores(logits, 2, 6, 'sqrtsoftplus');
    expect(r.weights[0]).toBeCloseTo((1.5 * s[5]!) / (s[5]! + s[0]!), 6);
    expect(r.weights[2]).toBeCloseTo(0.75, 6);
    expect(() => route(logits, 2, c, undefined, Int32Array.from([6, 0, 1, 1]))).toThrow(/expertIds\[0\] = 6/);
    expect(() => route(logits, 2, c, undefined, Int32Array.from([1, 0]))).toThrow(/expected T\*topK/);
  });

  it('validates its configuration with InvalidArgumentError', () => {
    const ok: RouterConfig = { numExperts: 8, topK: 2, scoring: 'softmax', normTopK: true };
    expect(() => validateRouterConfig(ok)).not.toThrow();
    expect(() => validateRouterConfig({ ...ok, topK: 9 })).toThrow(InvalidArgumentError);
    expect(() => validateRouterConfig({ ...ok, scoring: 'relu' as ScoringFunc })).toThrow(/scoring/);
    expect(() => validateRouterConfig({ ...ok, numGroups: 3 })).toThrow(/divide/);
    expect(() => validateRouterConfig({ ...ok, numGroups: 4, topKGroups: 5 })).toThrow(/topKGroups/);
    expect(() => validateRouterConfig({ ...ok, topK: 5, numGroups: 4, topKGroups: 2 })).toThrow(/exceeds/);
  });
});

describe('buildExpertPlan', () => {
  it('groups slots by ascending expert, tokens in order within an expert, weights carried along', () => {
    const ids = Int32Array.from([3, 1, 1, 0, 3, 2, 1, 3]);
    const weights = Float32Array.from([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]);
    const plan = buildExpertPlan({ ids, weights }, 4, 2, 5);
    expect(Array.from(plan.experts)).toEqual([0, 1, 2, 3]);
    expect(Array.from(plan.expertStart)).toEqual([0, 1, 4, 5, 8]);
    expect(Array.from(plan.slotToken)).toEqual([1, 0, 1, 3, 2, 0, 2, 3]);
    expect(Array.from(plan.slotWeight).map((w) => Math.round(w * 10) / 10)).toEqual([0.4, 0.2, 0.3, 0.7, 0.6, 0.1, 0.5, 0.8]);
    expect(plan.numTokens).toBe(4);
  });
});
