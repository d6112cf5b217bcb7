/**
 * A small stand-in for core's streamText (same contract): decode incrementally, cut at stop strings,
 * abort the engine request on signal or stop match, report usage. Enough to drive the HTTP layer in tests.
 */
import type { EngineClient, EngineEvent, TextGenerationEvent, TextGenerationRequest, TextTokenizer } from '@plexus/core';

export async function* fakeStreamText(
  engine: EngineClient,
  tokenizer: TextTokenizer,
  req: TextGenerationRequest,
  signal?: AbortSignal,
): AsyncGenerator<TextGenerationEvent> {
  const queue: EngineEvent[] = [];
  let wake: (() => void) | undefined;
  engine.submit({ id: req.id, inputIds: req.inputIds, sampling: req.sampling }, (e) => {
    queue.push(e);
    wake?.();
  });
  const onAbort = () => engine.abort(req.id);
  signal?.addEventListener('abort', onAbort, { once: true });
  const decoder = tokenizer.createStreamDecoder({ skipSpecialTokens: req.skipSpecialTokens });
  const maxStop = Math.max(0, ...req.stop.map((s) => s.length));
  let held = '';
  let completion = 0;
  let cached = 0;
  const done = (finishReason: 'stop' | 'length' | 'abort', matchedStop?: string | number): TextGenerationEvent => ({
    type: 'done',
    finishReason,
    matchedStop,
    promptTokens: req.inputIds.length,
    completionTokens: completion,
    cachedTokens: cached,
  });
  try {
    for (;;) {
      if (queue.length === 0) {
        await new Promise<void>((r) => (wake = r));
        continue;
      }
      const e = queue.shift()!;
      if (e.type === 'error') {
        yield { type: 'error', error: e.error };
        return;
      }
      if (e.type === 'finished') {
        const tail = held + decoder.flush();
        if (tail) yield { type: 'delta', text: tail, tokenIds: [] };
        yield done(e.reason, e.matchedStopTokenId);
        return;
      }
      completion += e.tokenIds.length;
      cached = Math.max(cached, e.cachedPromptTokens ?? 0);
      // as core's streamText: a stop token id ends generation and its text is withheld
      held += decoder.push(e.tokenIds.filter((id) => !req.sampling.stopTokenIds.includes(id)));
      const hit = req.stop.map((s) => ({ s, at: held.indexOf(s) })).filter((h) => h.at >= 0).sort((a, b) => a.at - b.at)[0];
      if (hit) {
        engine.abort(req.id);
        yield { type: 'delta', text: held.slice(0, hit.at), tokenIds: e.tokenIds, logprobs: e.logprobs };
        yield done('stop', hit.s);
        return;
      }
      // keep back what could still become the start of a stop string
      const keep = Math.min(held.length, Math.max(0, maxStop - 1));
      const out = held.slice(0, held.length - keep);
      held = held.slice(held.length - keep);
      yield { type: 'delta', text: out, tokenIds: e.tokenIds, logprobs: e.logprobs };
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}
