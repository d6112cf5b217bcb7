/** Groups the routed (token, expert) pairs by expert: one counting sort, so each expert's weights are read once per step. */
import type { ExpertPlan } from './experts-method.ts';
import type { Routing } from './router.ts';

export function buildExpertPlan(routing: Routing, numTokens: number, topK: number, numExperts: number): ExpertPlan {
  const { ids, weights } = routing;
  const count = new Int32Array(numExperts);
  for (let i = 0; i < numTokens * topK; i++) count[ids[i]!]!++;
  let active = 0;
  for (let e = 0; e < numExperts; e++) if (count[e]! > 0) active++;
  const experts = new Int32Array(active);
  const expertStart = new Int32Array(active + 1);
  const cursor = new Int32Array(numExperts);
  let a = 0, s = 0;
  for (let e = 0; e < numExperts; e++) {
    if (count[e] === 0) continue;
    experts[a] = e;
    expertStart[a] = s;
    cursor[e] = s;
    s += count[e]!;
    a++;
  }
  expertStart[active] = s;
  const slotToken = new Int32Array(s);
  const slotWeight = new Float32Array(s);
  // tokens ascend, so within an expert the slots follow token order
  for (let t = 0; t < numTokens; t++) {
    for (let j = 0; j < topK; j++) {
      const e = ids[t * topK + j]!;
      const slot = cursor[e]!++;
      slotToken[slot] = t;
      slotWeight[slot] = weights[t * topK + j]!;
    }
  }
  return { numTokens, experts, expertStart, slotToken, slotWeight };
}
