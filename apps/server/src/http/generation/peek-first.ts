/**
 * Waits for the first event of a generation before a streaming response is committed, so that an
 * error known up front (queue full, bad input found by the engine) still gets its proper HTTP status.
 */
import type { ChoiceEvent } from './run-choices.ts';

export interface Peeked {
  first: ChoiceEvent | undefined;
  /** the remaining events, first excluded */
  rest: AsyncGenerator<ChoiceEvent>;
}

export async function peekFirst(events: AsyncGenerator<ChoiceEvent>): Promise<Peeked> {
  const r = await events.next();
  if (!r.done && r.value.type === 'error') {
    await events.return(undefined);
    throw r.value.error;
  }
  return { first: r.done ? undefined : r.value, rest: events };
}

/** first, then the rest */
export async function* replay(p: Peeked): AsyncGenerator<ChoiceEvent> {
  if (p.first) yield p.first;
  yield* p.rest;
}
