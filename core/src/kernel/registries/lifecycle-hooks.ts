/**
 * Lifecycle hooks: a typed event map and typed queries, dispatched per engine instance.
 *
 * Error policy: a throwing handler never stops the caller (the scheduler loop). Its error is wrapped in a
 * HookHandlerError that names the event, the handler's owner and the requests the payload concerns; emit()
 * returns those errors (the engine fails exactly those requests) and reports them to `onFailure`. Every other
 * handler still runs. A handler may throw a HookHandlerError itself to narrow the request list.
 * A throwing query handler is reported and counts as "no answer".
 */
import { HookHandlerError } from '../../errors.ts';
import type { FinishReason } from '../../engine/types.ts';
import type { ForwardBatch } from '../../model/types.ts';
import { onceOnly, type Disposer } from './registration.ts';

/**
 * Event name → payload. Payloads name the requests they concern (`requestId` or `requestIds`).
 * Plugins may add events by declaration merging on '@plexus/core'.
 */
export interface LifecycleEvents {
  requestAdmitted: { requestId: string; promptTokens: number };
  prefillDone: { requestId: string };
  beforeForward: { requestIds: readonly string[]; batch?: ForwardBatch };
  afterForward: { requestIds: readonly string[]; batch?: ForwardBatch };
  decodeSlotsMapped: { requestIds: readonly string[]; batch?: ForwardBatch };
  requestFinished: { requestId: string; reason: FinishReason | 'error' };
  requestRetracted: { requestId: string };
}

/** Query name → { args, result }. Boolean results combine with queryAny, list results with queryCollect. */
export interface LifecycleQueries {
  /** which of the candidate requests are ready to run (e.g. their KV is staged back from host memory) */
  readyRequests: { args: { candidates: readonly string[] }; result: readonly string[] };
  /** whether some coordinator still has work in flight (the engine must keep stepping) */
  hasPendingWork: { args: void; result: boolean };
}

export type LifecycleEventName = keyof LifecycleEvents & string;
export type LifecycleQueryName = keyof LifecycleQueries & string;

type QueryArgs<Q extends LifecycleQueryName> = LifecycleQueries[Q] extends { args: infer A } ? A : never;
type QueryResult<Q extends LifecycleQueryName> = LifecycleQueries[Q] extends { result: infer R } ? R : never;
type ArgsTuple<Q extends LifecycleQueryName> = [QueryArgs<Q>] extends [void] ? [] : [args: QueryArgs<Q>];

export type BooleanQueryName = { [Q in LifecycleQueryName]: QueryResult<Q> extends boolean ? Q : never }[LifecycleQueryName];
export type ListQueryName = { [Q in LifecycleQueryName]: QueryResult<Q> extends readonly unknown[] ? Q : never }[LifecycleQueryName];
type ListElement<Q extends LifecycleQueryName> = QueryResult<Q> extends ReadonlyArray<infer T> ? T : never;

/** Which engine instance a handler is running for. */
export interface HookEngineInfo {
  readonly engineId: string;
}

export type EventHandler<E extends LifecycleEventName> = (payload: LifecycleEvents[E], engine: HookEngineInfo) => void;
export type QueryHandler<Q extends LifecycleQueryName> = (args: QueryArgs<Q>, engine: HookEngineInfo) => QueryResult<Q>;

interface Handler {
  readonly owner: string;
  readonly fn: (...args: never[]) => unknown;
  refs: number;
}

/** An ordered set of handlers per event and per query. */
export class HookTable {
  private readonly events = new Map<string, Handler[]>();
  private readonly queries = new Map<string, Handler[]>();

  on<E extends LifecycleEventName>(event: E, handler: EventHandler<E>, owner = 'core'): Disposer {
    return add(this.events, event, handler, owner);
  }

  answer<Q extends LifecycleQueryName>(query: Q, handler: QueryHandler<Q>, owner = 'core'): Disposer {
    return add(this.queries, query, handler, owner);
  }

  eventHandlers(event: string): readonly Handler[] {
    return this.events.get(event) ?? [];
  }

  queryHandlers(query: string): readonly Handler[] {
    return this.queries.get(query) ?? [];
  }

  clear(): void {
    this.events.clear();
    this.queries.clear();
  }
}

function add(map: Map<string, Handler[]>, name: string, fn: unknown, owner: string): Disposer {
  if (typeof name !== 'string' || !name) throw new TypeError('hook name must be a non-empty string');
  if (typeof fn !== 'function') throw new TypeError(`hook '${name}' of ${owner}: the handler must be a function`);
  const list = map.get(name) ?? [];
  map.set(name, list);
  // the same function twice is one registration, reference counted (same rule as every registry)
  let handler = list.find((h) => h.fn === fn);
  if (handler) handler.refs++;
  else {
    handler = { owner, fn: fn as Handler['fn'], refs: 1 };
    list.push(handler);
  }
  const registered = handler;
  return onceOnly(() => {
    if (--registered.refs > 0) return;
    const at = list.indexOf(registered);
    if (at >= 0) list.splice(at, 1);
  });
}

export interface HookBusOptions {
  /** handlers that run first, for every engine (plugin-level hooks); read at dispatch time */
  inherited?: HookTable;
  /** told about every handler failure (logging); emit() also returns them */
  onFailure?: (error: HookHandlerError) => void;
}

/** One engine instance's hook bus. */
export class LifecycleHookBus {
  private readonly own = new HookTable();
  private readonly inherited: HookTable | undefined;
  private readonly onFailure: (error: HookHandlerError) => void;
  private disposed = false;

  constructor(readonly engine: HookEngineInfo, opts: HookBusOptions = {}) {
    this.inherited = opts.inherited;
    this.onFailure = opts.onFailure ?? (() => {});
  }

  on<E extends LifecycleEventName>(event: E, handler: EventHandler<E>, owner = 'core'): Disposer {
    this.assertLive();
    return this.own.on(event, handler, owner);
  }

  answer<Q extends LifecycleQueryName>(query: Q, handler: QueryHandler<Q>, owner = 'core'): Disposer {
    this.assertLive();
    return this.own.answer(query, handler, owner);
  }

  /** Runs every handler in order. Returns the failures (empty when all succeeded); never throws. */
  emit<E extends LifecycleEventName>(event: E, payload: LifecycleEvents[E]): readonly HookHandlerError[] {
    if (this.disposed) return [];
    const failures: HookHandlerError[] = [];
    for (const handler of this.handlers('event', event)) {
      try {
        const result = (handler.fn as EventHandler<E>)(payload, this.engine);
        if (isThenable(result)) {
          // handlers are synchronous by contract; a rejected promise is still attributed, just later
          result.then(undefined, (cause: unknown) => this.onFailure(this.failure(event, handler, payload, cause)));
        }
      } catch (cause) {
        const failure = this.failure(event, handler, payload, cause);
        failures.push(failure);
        this.onFailure(failure);
      }
    }
    return failures;
  }

  /** true as soon as one handler answers true (later handlers do not run); false when none does */
  queryAny<Q extends BooleanQueryName>(query: Q, ...args: ArgsTuple<Q>): boolean {
    for (const handler of this.handlers('query', query)) {
      const answer = this.ask(query, handler, args[0]);
      if (answer === true) return true;
    }
    return false;
  }

  /** every handler's list, concatenated in handler order */
  queryCollect<Q extends ListQueryName>(query: Q, ...args: ArgsTuple<Q>): Array<ListElement<Q>> {
    const out: Array<ListElement<Q>> = [];
    for (const handler of this.handlers('query', query)) {
      const answer = this.ask(query, handler, args[0]);
      if (answer === undefined) continue;
      if (!Array.isArray(answer)) {
        this.onFailure(new HookHandlerError(query, handler.owner, [], { cause: new TypeError(`query '${query}' must return an array`) }));
        continue;
      }
      out.push(...(answer as Array<ListElement<Q>>));
    }
    return out;
  }

  /** drops this engine's own handlers; later emits do nothing */
  dispose(): void {
    this.disposed = true;
    this.own.clear();
  }

  private handlers(kind: 'event' | 'query', name: string): Handler[] {
    const pick = (t: HookTable | undefined) => (t ? (kind === 'event' ? t.eventHandlers(name) : t.queryHandlers(name)) : []);
    // snapshot: a handler that (un)registers others does not change this dispatch
    return [...pick(this.inherited), ...pick(this.own)];
  }

  private ask(query: string, handler: Handler, args: unknown): unknown {
    try {
      return (handler.fn as (a: unknown, e: HookEngineInfo) => unknown)(args, this.engine);
    } catch (cause) {
      this.onFailure(new HookHandlerError(query, handler.owner, [], { cause }));
      return undefined;
    }
  }

  private failure(event: string, handler: Handler, payload: unknown, cause: unknown): HookHandlerError {
    if (cause instanceof HookHandlerError) return cause;
    return new HookHandlerError(event, handler.owner, concernedRequests(payload), { cause });
  }

  private assertLive(): void {
    if (this.disposed) throw new Error(`hook bus of engine '${this.engine.engineId}' is disposed`);
  }
}

/** the request ids a payload names */
export function concernedRequests(payload: unknown): string[] {
  if (!payload || typeof payload !== 'object') return [];
  const p = payload as { requestId?: unknown; requestIds?: unknown };
  if (typeof p.requestId === 'string') return [p.requestId];
  if (Array.isArray(p.requestIds)) return p.requestIds.filter((x): x is string => typeof x === 'string');
  return [];
}

function isThenable(x: unknown): x is PromiseLike<unknown> {
  return !!x && (typeof x === 'object' || typeof x === 'function') && typeof (x as { then?: unknown }).then === 'function';
}
