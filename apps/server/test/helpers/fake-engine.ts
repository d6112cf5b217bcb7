/**
 * A scripted EngineClient: each request "generates" the bytes of a reply text (then EOS), one token per tick,
 * honouring maxNewTokens, stopTokenIds, ignoreEos, logprobs and abort. It records what it was asked.
 */
import { CapacityError, type EngineClient, type EngineEvent, type EngineStats, type GenerateRequest, type TokenLogprob } from '@plexus/core';
import { EOS } from './fake-tokenizer.ts';

export interface FakeEngineOptions {
  /** reply text for a request (default: depends on the seed so n > 1 choices differ) */
  reply?: (req: GenerateRequest) => string;
  /** ms between tokens (0 = setImmediate) */
  tokenDelayMs?: number;
  /** emit an error event after this many tokens */
  failAfterTokens?: number;
  /** submit throws CapacityError once this many requests are active */
  maxActive?: number;
}

export const defaultReply = (req: GenerateRequest): string =>
  req.sampling.seed === undefined ? 'Hello world! This is a fake reply.' : `Seed ${req.sampling.seed} says hello.`;

export class FakeEngine implements EngineClient {
  readonly submitted: GenerateRequest[] = [];
  readonly aborted: string[] = [];
  readonly active = new Map<string, { cancel(): void }>();
  prefixQueries = 0;
  prefixHits = 0;

  constructor(readonly opts: FakeEngineOptions = {}) {}

  submit(req: GenerateRequest, onEvent: (e: EngineEvent) => void): void {
    if (this.opts.maxActive !== undefined && this.active.size >= this.opts.maxActive) {
      throw new CapacityError(`queue is full (${this.active.size} requests)`);
    }
    this.submitted.push(req);
    this.prefixQueries += req.inputIds.length;
    this.prefixHits += Math.floor(req.inputIds.length / 2);
    const script = [...Buffer.from((this.opts.reply ?? defaultReply)(req), 'utf8')];
    let produced = 0;
    let timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
    let stopped = false;
    const finish = (reason: 'stop' | 'length', matchedStopTokenId?: number) => {
      stopped = true;
      this.active.delete(req.id);
      onEvent({ type: 'finished', requestId: req.id, reason, matchedStopTokenId });
    };
    const tick = () => {
      if (stopped) return;
      if (this.opts.failAfterTokens !== undefined && produced >= this.opts.failAfterTokens) {
        stopped = true;
        this.active.delete(req.id);
        onEvent({ type: 'error', requestId: req.id, error: { name: 'Error', message: 'simulated engine failure' } });
        return;
      }
      const s = req.sampling;
      let token = produced < script.length ? script[produced] : EOS;
      if (s.ignoreEos && token === EOS) token = script[produced % script.length];
      produced++;
      onEvent({
        type: 'tokens',
        requestId: req.id,
        tokenIds: [token],
        logprobs: s.returnLogprob ? [fakeLogprob(token, produced, s.topLogprobs)] : undefined,
        cachedPromptTokens: produced === 1 ? Math.floor(req.inputIds.length / 2) : undefined,
      });
      const isStop = !s.ignoreEos && s.stopTokenIds.includes(token) && produced > s.minNewTokens;
      if (isStop) return finish('stop', token);
      if (produced >= s.maxNewTokens) return finish('length');
      schedule();
    };
    const schedule = () => {
      timer = this.opts.tokenDelayMs ? setTimeout(tick, this.opts.tokenDelayMs) : setImmediate(tick);
    };
    this.active.set(req.id, {
      cancel: () => {
        stopped = true;
        if (timer) {
          clearTimeout(timer as NodeJS.Timeout);
          clearImmediate(timer as NodeJS.Immediate);
        }
        onEvent({ type: 'finished', requestId: req.id, reason: 'abort' });
      },
    });
    schedule();
  }

  abort(requestId: string): void {
    this.aborted.push(requestId);
    const a = this.active.get(requestId);
    this.active.delete(requestId);
    a?.cancel();
  }

  stats(): EngineStats {
    return { running: this.active.size, waiting: 0, kvUsage: this.active.size / 10, prefixQueries: this.prefixQueries, prefixHits: this.prefixHits };
  }

  async shutdown(): Promise<void> {
    for (const id of [...this.active.keys()]) this.abort(id);
  }
}

/** deterministic logprobs: the chosen token first in `top`, then ids counting down */
export function fakeLogprob(token: number, position: number, topN: number): TokenLogprob {
  const logprob = -0.05 * (position % 7) - 0.01;
  const top = [{ tokenId: token, logprob }];
  for (let id = 200; top.length < topN; id--) if (id !== token) top.push({ tokenId: id, logprob: logprob - top.length });
  return { tokenId: token, logprob, top: top.slice(0, topN) };
}
