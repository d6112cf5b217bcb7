import { describe, expect, it } from 'vitest';
import { HookHandlerError } from '../../../src/errors.ts';
import { HookTable, LifecycleHookBus } from '../../../src/kernel/registries/lifecycle-hooks.ts';

const engine = { engineId: 'e1' };

describe('LifecycleHookBus', () => {
  it('an event without handlers is a no-op', () => {
    const bus = new LifecycleHookBus(engine);
    expect(bus.emit('requestFinished', { requestId: 'r1', reason: 'stop' })).toEqual([]);
    expect(bus.queryAny('hasPendingWork')).toBe(false);
    expect(bus.queryCollect('readyRequests', { candidates: ['r1'] })).toEqual([]);
  });

  it('runs handlers in order: plugin-level (inherited) first, then the engine\'s own, each in registration order', () => {
    const table = new HookTable();
    const calls: string[] = [];
    table.on('prefillDone', (p, e) => calls.push(`plugin1:${p.requestId}@${e.engineId}`), 'plugin one');
    table.on('prefillDone', () => calls.push('plugin2'), 'plugin two');
    const bus = new LifecycleHookBus(engine, { inherited: table });
    bus.on('prefillDone', () => calls.push('own1'));
    bus.on('prefillDone', () => calls.push('own2'));
    bus.emit('prefillDone', { requestId: 'r7' });
    expect(calls).toEqual(['plugin1:r7@e1', 'plugin2', 'own1', 'own2']);
  });

  it('queryAny short-circuits at the first true; queryCollect concatenates in handler order', () => {
    const bus = new LifecycleHookBus(engine);
    const asked: string[] = [];
    bus.answer('hasPendingWork', () => { asked.push('a'); return false; });
    bus.answer('hasPendingWork', () => { asked.push('b'); return true; });
    bus.answer('hasPendingWork', () => { asked.push('c'); return true; });
    expect(bus.queryAny('hasPendingWork')).toBe(true);
    expect(asked).toEqual(['a', 'b']);

    bus.answer('readyRequests', ({ candidates }) => candidates.filter((c) => c.endsWith('1')));
    bus.answer('readyRequests', () => ['x']);
    bus.answer('readyRequests', ({ candidates }) => candidates.filter((c) => c.endsWith('2')));
    expect(bus.queryCollect('readyRequests', { candidates: ['r1', 'r2', 'r3'] })).toEqual(['r1', 'x', 'r2']);
  });

  it('a throwing handler fails only the request it concerns, is reported, and the rest still runs', () => {
    const reported: HookHandlerError[] = [];
    const bus = new LifecycleHookBus(engine, { onFailure: (e) => reported.push(e) });
    const finished: string[] = [];
    bus.on('requestFinished', (p) => { if (p.requestId === 'bad') throw new Error('coordinator state corrupt'); }, 'plugin hisparse');
    bus.on('requestFinished', (p) => finished.push(p.requestId));

    // the "scheduler loop": it keeps going for every request
    const failedRequests: string[] = [];
    for (const id of ['a', 'bad', 'c']) {
      for (const f of bus.emit('requestFinished', { requestId: id, reason: 'stop' })) failedRequests.push(...f.requestIds);
    }
    expect(finished).toEqual(['a', 'bad', 'c']);
    expect(failedRequests).toEqual(['bad']);
    expect(reported).toHaveLength(1);
    expect(reported[0]).toBeInstanceOf(HookHandlerError);
    expect(reported[0]!.owner).toBe('plugin hisparse');
    expect(reported[0]!.event).toBe('requestFinished');
    expect(reported[0]!.message).toContain('coordinator state corrupt');
  });

  it('a failure in a batch event concerns the batch\'s requests, or the narrower list a handler names', () => {
    const bus = new LifecycleHookBus(engine);
    bus.on('beforeForward', () => { throw new Error('all of them'); });
    bus.on('beforeForward', (p) => { throw new HookHandlerError('beforeForward', 'narrow', [p.requestIds[1]!]); });
    const failures = bus.emit('beforeForward', { requestIds: ['r1', 'r2', 'r3'] });
    expect(failures.map((f) => f.requestIds)).toEqual([['r1', 'r2', 'r3'], ['r2']]);
  });

  it('a throwing query handler is reported and counts as no answer', () => {
    const reported: HookHandlerError[] = [];
    const bus = new LifecycleHookBus(engine, { onFailure: (e) => reported.push(e) });
    bus.answer('readyRequests', () => { throw new Error('nope'); });
    bus.answer('readyRequests', () => ['ok']);
    expect(bus.queryCollect('readyRequests', { candidates: [] })).toEqual(['ok']);
    expect(reported).toHaveLength(1);
  });

  it('is scoped: two buses over the same plugin table keep their own handlers', () => {
    const table = new HookTable();
    const seenBy: string[] = [];
    table.on('requestAdmitted', (_p, e) => seenBy.push(e.engineId));
    const a = new LifecycleHookBus({ engineId: 'A' }, { inherited: table });
    const b = new LifecycleHookBus({ engineId: 'B' }, { inherited: table });
    const ownA: string[] = [];
    a.on('requestAdmitted', (p) => ownA.push(p.requestId));
    b.emit('requestAdmitted', { requestId: 'rb', promptTokens: 3 });
    a.emit('requestAdmitted', { requestId: 'ra', promptTokens: 3 });
    expect(seenBy).toEqual(['B', 'A']);
    expect(ownA).toEqual(['ra']);
  });

  it('disposers remove handlers; a disposed bus ignores emits', () => {
    const bus = new LifecycleHookBus(engine);
    const calls: string[] = [];
    const off = bus.on('requestRetracted', (p) => calls.push(p.requestId));
    bus.emit('requestRetracted', { requestId: 'r1' });
    off();
    bus.emit('requestRetracted', { requestId: 'r2' });
    bus.on('requestRetracted', (p) => calls.push(`again-${p.requestId}`));
    bus.dispose();
    expect(bus.emit('requestRetracted', { requestId: 'r3' })).toEqual([]);
    expect(calls).toEqual(['r1']);
  });
});
