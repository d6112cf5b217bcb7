import { describe, expect, it } from 'vitest';
import { DuplicateRegistrationError } from '../../../src/errors.ts';
import { RegistrationTable, disposeAll } from '../../../src/kernel/registries/registration.ts';
import { CoordinatorRegistry } from '../../../src/kernel/registries/coordinator-registry.ts';
import { KernelRegistry } from '../../../src/kernel/registries/kernel-registry.ts';
import { KvPoolRegistry } from '../../../src/kernel/registries/kv-pool-registry.ts';
import { ModelRegistry } from '../../../src/kernel/registries/model-registry.ts';
import { QuantMethodRegistry } from '../../../src/kernel/registries/quant-method-registry.ts';
import { createDefaultKvPool } from '../../../src/engine/kv-pool.ts';

describe('RegistrationTable', () => {
  it('same id + same value is a no-op, different value throws naming both owners', () => {
    const t = new RegistrationTable<() => void>('T');
    const f = () => {};
    t.add('x', f, 'plugin a');
    t.add('x', f, 'plugin a');
    expect(t.ids()).toEqual(['x']);
    const err = (() => {
      try {
        t.add('x', () => {}, 'plugin b');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(DuplicateRegistrationError);
    expect((err as Error).message).toContain('plugin a');
    expect((err as Error).message).toContain('plugin b');
  });

  it('disposers unregister, are idempotent, and are reference counted for no-op re-registrations', () => {
    const t = new RegistrationTable<number>('T');
    const d1 = t.add('x', 1);
    const d2 = t.add('x', 1);
    d1();
    d1();
    expect(t.has('x')).toBe(true);
    d2();
    expect(t.has('x')).toBe(false);
    // after disposal a different value may take the id
    t.add('x', 2);
    expect(t.get('x')).toBe(2);
  });

  it('disposeAll runs in reverse order and keeps going past a throwing disposer', () => {
    const order: number[] = [];
    const errors = disposeAll([() => order.push(1), () => { throw new Error('x'); }, () => order.push(3)]);
    expect(order).toEqual([3, 1]);
    expect(errors).toHaveLength(1);
  });
});

describe('every registry applies the duplicate rule and returns a disposer', () => {
  const f = () => {};
  const cases: Array<[string, (value: () => void) => () => void, (fresh: () => void) => () => void]> = (() => {
    const models = new ModelRegistry();
    const model = { architectures: ['XForCausalLM'], load: f as never };
    const quant = new QuantMethodRegistry();
    const wrapper = { id: 'w', predicate: () => undefined, factory: f as never };
    const pools = new KvPoolRegistry(createDefaultKvPool);
    const pool = { id: 'p', predicate: () => false, create: f as never };
    const coords = new CoordinatorRegistry();
    const coordFactory = () => ({ attach() {}, dispose() {} });
    const kernels = new KernelRegistry({ capabilities: { arch: 'x64', cores: 1 } });
    const row = { id: 'softmax.test', when: () => true, impl: f as never };
    return [
      ['ModelRegistry', () => models.register(model), () => models.register({ ...model, load: (() => {}) as never })],
      ['QuantMethodRegistry', () => quant.register(wrapper), () => quant.register({ ...wrapper, factory: (() => {}) as never })],
      ['KvPoolRegistry', () => pools.register(pool), () => pools.register({ ...pool, create: (() => {}) as never })],
      ['CoordinatorRegistry', () => coords.register('c', coordFactory), () => coords.register('c', () => ({ attach() {}, dispose() {} }))],
      ['KernelRegistry', () => kernels.register('softmax', row), () => kernels.register('softmax', { ...row, impl: (() => {}) as never })],
    ];
  })();

  for (const [name, same, different] of cases) {
    it(name, () => {
      const d1 = same(f);
      const d2 = same(f);
      expect(() => different(f)).toThrow(DuplicateRegistrationError);
      d1();
      d2();
      // fully disposed: a different value is accepted now
      expect(() => different(f)).not.toThrow();
    });
  }
});
