import { describe, expect, it } from 'vitest';
import { ExtensionFailedError } from '../../../src/errors.ts';
import { Declined, QuantMethodRegistry, type QuantLayer, type QuantWrapper } from '../../../src/kernel/registries/quant-method-registry.ts';

interface Method {
  name: string;
  inner?: Method;
}

const layer: QuantLayer = { name: 'model.layers.0.mlp.experts', kind: 'moe' };

function wrapper(id: string, priority?: number, opts: { skip?: boolean; decline?: boolean } = {}): QuantWrapper<{ tag: string }, Method> {
  return {
    id,
    ...(priority !== undefined ? { priority } : {}),
    predicate: () => (opts.skip ? undefined : { tag: id }),
    factory: (_layer, inner, ctx) => (opts.decline ? Declined : { name: ctx.tag, inner }),
  };
}

function permutations<T>(xs: T[]): T[][] {
  if (xs.length <= 1) return [xs];
  return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]));
}

describe('QuantMethodRegistry', () => {
  it('applies wrappers in ascending priority whatever the registration order', () => {
    const ws = [wrapper('kt_ep', 20), wrapper('mxfp4', 10), wrapper('late', 30), wrapper('default_prio')];
    for (const order of permutations(ws)) {
      const reg = new QuantMethodRegistry();
      for (const w of order) reg.register(w);
      const { method, chain } = reg.wrap(layer, { name: 'base' });
      expect(chain).toEqual(['mxfp4', 'kt_ep', 'late', 'default_prio']);
      // the outermost method is the last wrapper; walking inward gives the reverse chain
      const names: string[] = [];
      for (let m: Method | undefined = method; m; m = m.inner) names.push(m.name);
      expect(names).toEqual(['default_prio', 'late', 'kt_ep', 'mxfp4', 'base']);
    }
  });

  it('breaks priority ties by id', () => {
    for (const order of permutations([wrapper('b', 10), wrapper('a', 10), wrapper('c', 10)])) {
      const reg = new QuantMethodRegistry();
      order.forEach((w) => reg.register(w));
      expect(reg.wrap(layer, { name: 'base' }).chain).toEqual(['a', 'b', 'c']);
    }
  });

  it('skips a wrapper whose predicate returns undefined', () => {
    const reg = new QuantMethodRegistry();
    reg.register(wrapper('skipped', 1, { skip: true }));
    reg.register(wrapper('applied', 2));
    const base: Method = { name: 'base' };
    const { method, chain } = reg.wrap(layer, base);
    expect(chain).toEqual(['applied']);
    expect(method.inner).toBe(base);
  });

  it('leaves the method untouched and untagged when a factory declines', () => {
    const reg = new QuantMethodRegistry();
    reg.register(wrapper('declines', 1, { decline: true }));
    const base = Object.freeze({ name: 'base' });
    const { method, chain } = reg.wrap(layer, base);
    expect(method).toBe(base);
    expect(chain).toEqual([]);
    expect(reg.isWrapped(method, 'declines')).toBe(false);
    expect(Object.getOwnPropertySymbols(base)).toEqual([]);
    expect(Object.keys(base)).toEqual(['name']);
  });

  it('a wrapper returning its inner method unchanged counts as declined', () => {
    const reg = new QuantMethodRegistry();
    reg.register({ id: 'noop', predicate: () => ({}), factory: (_l, inner: Method) => inner });
    const base = { name: 'base' };
    expect(reg.wrap(layer, base).chain).toEqual([]);
    expect(reg.isWrapped(base, 'noop')).toBe(false);
  });

  it('introspects the whole chain, including inner methods and earlier wraps, without mutating them', () => {
    const reg = new QuantMethodRegistry();
    reg.register(wrapper('inner', 1));
    reg.register(wrapper('outer', 2));
    const base: Readonly<Method> = Object.freeze({ name: 'base' });
    const { method } = reg.wrap(layer, base);
    expect(reg.isWrapped(method, 'inner')).toBe(true);
    expect(reg.isWrapped(method, 'outer')).toBe(true);
    expect(reg.isWrapped(method.inner!, 'inner')).toBe(true);
    expect(reg.isWrapped(method.inner!, 'outer')).toBe(false);
    expect(reg.isWrapped(base, 'inner')).toBe(false);
    // wrapping an already wrapped method keeps the inner chain
    const other = new QuantMethodRegistry();
    other.register(wrapper('third', 1));
    const again = reg.wrap(layer, method);
    expect(again.chain).toEqual(['inner', 'outer', 'inner', 'outer']);
    // a different registry knows nothing of this registry's tags (identity is registry-private)
    expect(other.isWrapped(method, 'inner')).toBe(false);
  });

  it('names the wrapper id when a predicate or factory throws', () => {
    const reg = new QuantMethodRegistry();
    reg.register({ id: 'bad-predicate', predicate: () => { throw new Error('boom p'); }, factory: () => Declined });
    expect(() => reg.wrap(layer, { name: 'base' })).toThrow(ExtensionFailedError);
    expect(() => reg.wrap(layer, { name: 'base' })).toThrow(/bad-predicate.*predicate.*boom p/);

    const reg2 = new QuantMethodRegistry();
    reg2.register({ id: 'bad-factory', predicate: () => ({}), factory: () => { throw new Error('boom f'); } });
    const err = (() => { try { reg2.wrap(layer, { name: 'base' }); } catch (e) { return e as ExtensionFailedError; } })();
    expect(err).toBeInstanceOf(ExtensionFailedError);
    expect(err!.id).toBe('bad-factory');
    expect(err!.phase).toContain('factory');
    expect((err!.cause as Error).message).toBe('boom f');
  });

  it('rejects a factory that returns a non-object, naming the id', () => {
    const reg = new QuantMethodRegistry();
    reg.register({ id: 'returns-number', predicate: () => ({}), factory: () => 42 as never });
    expect(() => reg.wrap(layer, { name: 'base' })).toThrow(/returns-number/);
  });

  it('a disposed wrapper no longer applies', () => {
    const reg = new QuantMethodRegistry();
    const dispose = reg.register(wrapper('gone', 1));
    reg.register(wrapper('stays', 2));
    dispose();
    expect(reg.wrap(layer, { name: 'base' }).chain).toEqual(['stays']);
  });
});
