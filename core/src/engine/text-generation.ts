/**
 * Text-level generation on top of any EngineClient: incremental detokenization, stop strings,
 * abort on signal, usage counts. The matched stop string — and the text of a matched stop token id —
 * is not part of the output (OpenAI / vLLM behaviour); the token ids are still reported and counted.
 */
import type { TextTokenizer } from '../model/types.ts';
import { StopStringMatcher } from './stop-strings.ts';
import type { EngineClient, EngineEvent, FinishReason, TextGenerationEvent, TextGenerationRequest } from './types.ts';

export async function* streamText(
  engine: EngineClient,
  tokenizer: TextTokenizer,
  req: TextGenerationRequest,
  signal?: AbortSignal,
): AsyncGenerator<TextGenerationEvent, void, undefined> {
  const usage = { promptTokens: req.inputIds.length, completionTokens: 0, cachedTokens: 0 };
  if (signal?.aborted) {
    yield { type: 'done', finishReason: 'abort', ...usage };
    return;
  }
  const queue: EngineEvent[] = [];
  let wake: (() => void) | undefined;
  const deliver = (e: EngineEvent) => {
    queue.push(e);
    wake?.();
  };
  const onAbort = () => {
    engine.abort(req.id);
    deliver({ type: 'finished', requestId: req.id, reason: 'abort' });
  };
  const decoder = tokenizer.createStreamDecoder({ skipSpecialTokens: req.skipSpecialTokens, promptIds: req.inputIds });
  const stops = new StopStringMatcher(req.stop);
  const stopTokenIds = new Set(req.sampling.stopTokenIds);
  let ended = false;

  engine.submit({ id: req.id, inputIds: req.inputIds, sampling: req.sampling }, deliver);
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for (;;) {
      while (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
      const e = queue.shift()!;
      if (e.type === 'tokens') {
        usage.completionTokens += e.tokenIds.length;
        if (e.cachedPromptTokens !== undefined) usage.cachedTokens = e.cachedPromptTokens;
        let text = '';
        // a stop token id ends generation; its text is withheld
        for (const id of e.tokenIds) if (!stopTokenIds.has(id)) text += decoder.push([id]);
        const scan = stops.push(text);
        const delta: TextGenerationEvent = { type: 'delta', text: scan.text, tokenIds: e.tokenIds };
        if (e.logprobs) delta.logprobs = e.logprobs;
        if (scan.matched !== undefined) {
          ended = true;
          engine.abort(req.id);
          yield delta;
          yield { type: 'done', finishReason: 'stop', matchedStop: scan.matched, ...usage };
          return;
        }
        yield delta;
      } else if (e.type === 'finished') {
        ended = true;
        const scan = stops.push(decoder.flush());
        const text = scan.matched !== undefined ? scan.text : scan.text + stops.flush();
        if (text) yield { type: 'delta', text, tokenIds: [] };
        const reason: FinishReason = scan.matched !== undefined ? 'stop' : e.reason;
        const matchedStop = scan.matched ?? e.matchedStopTokenId;
        yield matchedStop !== undefined ? { type: 'done', finishReason: reason, matchedStop, ...usage } : { type: 'done', finishReason: reason, ...usage };
        return;
      } else {
        ended = true;
        yield { type: 'error', error: e.error };
        return;
      }
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    // the consumer stopped reading early: free the request
    if (!ended) engine.abort(req.id);
  }
}
