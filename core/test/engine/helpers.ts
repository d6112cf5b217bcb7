/** Test helpers: run requests through any EngineClient and collect what comes back. */
import type { EngineClient, EngineEvent, GenerateRequest, SamplingParams } from '../../src/engine/types.ts';
import { greedy } from './fake-model.ts';

export interface Collected {
  tokens: number[];
  events: EngineEvent[];
  finish?: Extract<EngineEvent, { type: 'finished' }>;
  error?: { name: string; message: string };
}

/** submits and resolves at the request's terminal event */
export function run(engine: EngineClient, req: GenerateRequest, onEvent?: (e: EngineEvent, c: Collected) => void): Promise<Collected> {
  return new Promise((resolve) => {
    const c: Collected = { tokens: [], events: [] };
    engine.submit(req, (e) => {
      c.events.push(e);
      if (e.type === 'tokens') c.tokens.push(...e.tokenIds);
      onEvent?.(e, c);
      if (e.type === 'finished') {
        c.finish = e;
        resolve(c);
      } else if (e.type === 'error') {
        c.error = e.error;
        resolve(c);
      }
    });
  });
}

let next = 0;
export function request(inputIds: number[], sampling: Partial<SamplingParams> & { maxNewTokens: number }, id = `req-${next++}`): GenerateRequest {
  return { id, inputIds, sampling: greedy(sampling.maxNewTokens, sampling) };
}

export const promptOf = (n: number, seed: number) => Array.from({ length: n }, (_, i) => (seed * 31 + i * 7) % 60 + 2);
