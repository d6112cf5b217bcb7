import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.ts';
import { StopStringMatcher } from '../../src/engine/stop-strings.ts';
import { streamText } from '../../src/engine/text-generation.ts';
import type { EngineClient, EngineEvent, GenerateRequest, TextGenerationEvent } from '../../src/engine/types.ts';
import type { StreamDecoder, TextTokenizer } from '../../src/model/types.ts';
import { FakeCausalLM, greedy } from './fake-model.ts';

/** id → text piece; id 0 is a special token (EOS) */
function fakeTokenizer(pieces: string[]): TextTokenizer {
  const special = new Set([0]);
  return {
    vocabSize: pieces.length,
    special: { eos: { id: 0, text: pieces[0]! }, specialIds: special },
    encode: () => { throw new Error('not used'); },
    decode: (ids, o) => ids.filter((i) => !(o?.skipSpecialTokens && special.has(i))).map((i) => pieces[i]).join(''),
    applyChatTemplate: () => { throw new Error('not used'); },
    hasChatTemplate: false,
    createStreamDecoder(o): StreamDecoder {
      return { push: (ids) => ids.filter((i) => !(o?.skipSpecialTokens && special.has(i))).map((i) => pieces[i]).join(''), flush: () => '' };
    },
  };
}

/** an EngineClient that plays a fixed token script, one token per macrotask */
class ScriptedEngine implements EngineClient {
  aborted: string[] = [];
  submitted: GenerateRequest[] = [];
  constructor(private readonly script: number[], private readonly end: EngineEvent['type'] | 'stop-token' = 'finished') {}
  submit(req: GenerateRequest, onEvent: (e: EngineEvent) => void): void {
    this.submitted.push(req);
    let i = 0;
    const tick = () => {
      if (this.aborted.includes(req.id)) return;
      if (i < this.script.length) {
        const tokenId = this.script[i++]!;
        onEvent({ type: 'tokens', requestId: req.id, tokenIds: [tokenId], ...(i === 1 ? { cachedPromptTokens: 2 } : {}), logprobs: [{ tokenId, logprob: -i, top: [] }] });
        setImmediate(tick);
      } else if (this.end === 'error') {
        onEvent({ type: 'error', requestId: req.id, error: { name: 'Boom', message: 'engine broke' } });
      } else if (this.end === 'stop-token') {
        onEvent({ type: 'finished', requestId: req.id, reason: 'stop', matchedStopTokenId: this.script[this.script.length - 1]! });
      } else {
        onEvent({ type: 'finished', requestId: req.id, reason: 'length' });
      }
    };
    setImmediate(tick);
  }
  abort(id: string): void {
    this.aborted.push(id);
  }
  stats() {
    return { running: 0, waiting: 0, kvUsage: 0, prefixQueries: 0, prefixHits: 0 };
  }
  async shutdown(): Promise<void> {}
}

const PIECES = ['</s>', 'Hel', 'lo', ' wor', 'ld', '!', ' <', 'END', '>', 'é'];
const tok = fakeTokenizer(PIECES);

async function collect(it: AsyncIterable<TextGenerationEvent>) {
  const events: TextGenerationEvent[] = [];
  for await (const e of it) events.push(e);
  const text = events.filter((e) => e.type === 'delta').map((e) => (e as { text: string }).text).join('');
  const done = events.find((e) => e.type === 'done') as Extract<TextGenerationEvent, { type: 'done' }> | undefined;
  return { events, text, done };
}

const req = (stop: string[], extra: Partial<ReturnType<typeof greedy>> = {}, id = 'r1') => ({ id, inputIds: [1, 2, 3], sampling: greedy(50, extra), stop, skipSpecialTokens: true });

describe('StopStringMatcher', () => {
  it('holds back a possible stop prefix and releases it when it does not complete', () => {
    const m = new StopStringMatcher(['<END>']);
    expect(m.push('abc <')).toEqual({ text: 'abc ' });
    expect(m.push('EN')).toEqual({ text: '' });
    expect(m.push('X')).toEqual({ text: '<ENX' });
    expect(m.push('y <E')).toEqual({ text: 'y ' });
    expect(m.push('ND> tail')).toEqual({ text: '', matched: '<END>' });
  });

  it('picks the earliest stop and ignores empty stop strings', () => {
    const m = new StopStringMatcher(['', 'cd', 'b']);
    expect(m.push('abcd')).toEqual({ text: 'a', matched: 'b' });
    expect(new StopStringMatcher([]).push('x')).toEqual({ text: 'x' });
  });
});

describe('streamText', () => {
  it('matches a stop string split across tokens, trims it and aborts the engine request', async () => {
    const engine = new ScriptedEngine([1, 2, 3, 4, 5]); // "Hel" "lo" " wor" "ld" "!"
    const { text, done, events } = await collect(streamText(engine, tok, req(['o wo'])));
    expect(text).toBe('Hell');
    expect(done).toMatchObject({ finishReason: 'stop', matchedStop: 'o wo', promptTokens: 3, completionTokens: 3, cachedTokens: 2 });
    expect(engine.aborted).toEqual(['r1']);
    // every token arrives with its logprob, even while its text is held back
    const deltas = events.filter((e) => e.type === 'delta') as Array<Extract<TextGenerationEvent, { type: 'delta' }>>;
    expect(deltas.flatMap((d) => d.tokenIds)).toEqual([1, 2, 3]);
    expect(deltas.flatMap((d) => d.logprobs!.map((l) => l.logprob))).toEqual([-1, -2, -3]);
  });

  it('releases held-back text that never completes a stop, and finishes with the engine reason', async () => {
    const engine = new ScriptedEngine([1, 2, 6, 7, 3, 4]); // "Hello <END wor ld"
    const { text, done } = await collect(streamText(engine, tok, req(['<END>', 'lox'])));
    expect(text).toBe('Hello <END world');
    expect(done).toMatchObject({ finishReason: 'length', completionTokens: 6 });
    expect(done!.matchedStop).toBeUndefined();
    expect(engine.aborted).toEqual([]);
  });

  it('matches a stop string completed by the very last token', async () => {
    const engine = new ScriptedEngine([1, 6, 7, 8]);
    const { text, done } = await collect(streamText(engine, tok, req(['<END>'])));
    expect(text).toBe('Hel ');
    expect(done).toMatchObject({ finishReason: 'stop', matchedStop: '<END>' });
  });

  it('withholds the text of a matched stop token id and reports it as matchedStop', async () => {
    const engine = new ScriptedEngine([1, 2, 5], 'stop-token');
    const { text, done, events } = await collect(streamText(engine, tok, req([], { stopTokenIds: [5] })));
    expect(text).toBe('Hello');
    expect(done).toMatchObject({ finishReason: 'stop', matchedStop: 5, completionTokens: 3 });
    expect(events.filter((e) => e.type === 'delta').flatMap((e) => (e as { tokenIds: number[] }).tokenIds)).toEqual([1, 2, 5]);
  });

  it('skips special tokens when asked and keeps them otherwise', async () => {
    expect((await collect(streamText(new ScriptedEngine([1, 0]), tok, req([])))).text).toBe('Hel');
    expect((await collect(streamText(new ScriptedEngine([1, 0]), tok, { ...req([]), skipSpecialTokens: false }))).text).toBe('Hel</s>');
  });

  it('aborts on signal', async () => {
    const engine = new ScriptedEngine(Array.from({ length: 1000 }, () => 2));
    const ctl = new AbortController();
    const events: TextGenerationEvent[] = [];
    for await (const e of streamText(engine, tok, req([]), ctl.signal)) {
      events.push(e);
      if (events.length === 3) ctl.abort();
    }
    expect(events.at(-1)).toMatchObject({ type: 'done', finishReason: 'abort', completionTokens: 3 });
    expect(engine.aborted).toEqual(['r1']);
    // an already aborted signal never reaches the engine
    const engine2 = new ScriptedEngine([1]);
    const { done } = await collect(streamText(engine2, tok, req([]), AbortSignal.abort()));
    expect(done!.finishReason).toBe('abort');
    expect(engine2.submitted).toEqual([]);
  });

  it('aborts the engine request when the consumer stops reading', async () => {
    const engine = new ScriptedEngine(Array.from({ length: 1000 }, () => 2));
    for await (const e of streamText(engine, tok, req([]))) if (e.type === 'delta') break;
    expect(engine.aborted).toEqual(['r1']);
  });

  it('passes engine errors through', async () => {
    const { events } = await collect(streamText(new ScriptedEngine([1], 'error'), tok, req([])));
    expect(events.at(-1)).toEqual({ type: 'error', error: { name: 'Boom', message: 'engine broke' } });
  });

  it('drives the real engine: a stop string frees the request at once', async () => {
    const model = new FakeCausalLM({ vocabSize: PIECES.length, maxContextLength: 128 });
    const engine = new Engine({ model }, { blockSize: 4, maxTotalTokens: 512 });
    const free = model.referenceGreedy([1, 2, 3], 20);
    const fullText = free.filter((i) => i !== 0).map((i) => PIECES[i]).join(''); // 0 is special: skipped
    // stop on the text of the 6th..7th generated tokens
    const stop = PIECES[free[5]!]! + PIECES[free[6]!]!;
    const cut = fullText.indexOf(stop);
    const { text, done } = await collect(streamText(engine, tok, { ...req([stop]), sampling: greedy(20) }));
    expect(text).toBe(fullText.slice(0, cut));
    expect(done!.finishReason).toBe('stop');
    expect(engine.stats()).toMatchObject({ running: 0, waiting: 0, kvUsage: 0 });
  });
});
