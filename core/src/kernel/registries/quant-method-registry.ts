/**
 * QuantMethodRegistry: wrappers around a layer's base (unquantized or fp8) method.
 * wrap() applies every wrapper whose predicate matches, in ascending priority (ties by id), whatever the
 * registration order. Which wrappers produced a method is kept in a registry-private WeakMap, so the chain
 * is introspectable without ever mutating an object the registry did not create.
 */
import { ExtensionFailedError } from '../../errors.ts';
import { RegistrationTable, type Disposer } from './registration.ts';

/** What a factory returns to say "not for this layer after all": the method is left untouched and untagged. */
export const Declined: unique symbol = Symbol('plexus.quant.declined');
export type Declined = typeof Declined;

/** The layer being built, as quant wrappers see it. */
export interface QuantLayer {
  /** checkpoint prefix, e.g. 'model.layers.3.mlp.experts' */
  readonly name: string;
  /** e.g. 'linear' | 'moe' | 'embedding' */
  readonly kind: string;
  readonly [detail: string]: unknown;
}

/** The checkpoint's quantization_config (or {}), plus anything the model adds. */
export type QuantConfig = Readonly<Record<string, unknown>>;

export interface QuantWrapper<Ctx = unknown, M extends object = object> {
  readonly id: string;
  /** ascending; default 100 */
  readonly priority?: number;
  /** a context when this wrapper applies to the layer, undefined to skip it */
  predicate(layer: QuantLayer, config: QuantConfig): Ctx | undefined;
  /** the wrapped method, or Declined */
  factory(layer: QuantLayer, inner: M, ctx: Ctx): M | Declined;
}

export interface WrapResult<M extends object> {
  readonly method: M;
  /** ids of every wrapper in the method, innermost first (including wrappers applied in earlier wrap calls) */
  readonly chain: readonly string[];
}

export class QuantMethodRegistry {
  private readonly table = new RegistrationTable<QuantWrapper<unknown, object>>(
    'QuantMethodRegistry',
    (a, b) => a.factory === b.factory && a.predicate === b.predicate && (a.priority ?? 100) === (b.priority ?? 100),
  );
  private readonly chains = new WeakMap<object, readonly string[]>();

  register<Ctx, M extends object>(wrapper: QuantWrapper<Ctx, M>, owner = 'core'): Disposer {
    if (!wrapper || typeof wrapper.predicate !== 'function' || typeof wrapper.factory !== 'function') {
      throw new TypeError(`QuantMethodRegistry: wrapper '${wrapper?.id}' needs predicate and factory functions`);
    }
    if (wrapper.priority !== undefined && !Number.isFinite(wrapper.priority)) {
      throw new TypeError(`QuantMethodRegistry: wrapper '${wrapper.id}': priority must be a finite number`);
    }
    return this.table.add(wrapper.id, wrapper as unknown as QuantWrapper<unknown, object>, owner);
  }

  /** wrapper ids in application order */
  ids(): string[] {
    return this.ordered().map((w) => w.id);
  }

  wrap<M extends object>(layer: QuantLayer, base: M, config: QuantConfig = {}): WrapResult<M> {
    let method: object = base;
    for (const wrapper of this.ordered()) {
      let ctx: unknown;
      try {
        ctx = wrapper.predicate(layer, config);
      } catch (cause) {
        throw new ExtensionFailedError('QuantMethodRegistry', wrapper.id, `predicate (layer ${layer.name})`, { cause });
      }
      if (ctx === undefined) continue;
      let result: unknown;
      try {
        result = wrapper.factory(layer, method, ctx);
      } catch (cause) {
        throw new ExtensionFailedError('QuantMethodRegistry', wrapper.id, `factory (layer ${layer.name})`, { cause });
      }
      // returning the inner method unchanged is treated like Declined: nothing new to tag
      if (result === Declined || result === method) continue;
      if (typeof result !== 'object' || result === null) {
        throw new ExtensionFailedError('QuantMethodRegistry', wrapper.id, `factory (layer ${layer.name})`, {
          cause: new TypeError(`returned ${result === null ? 'null' : typeof result}; a factory must return an object or Declined`),
        });
      }
      this.chains.set(result, [...this.chainOf(method), wrapper.id]);
      method = result;
    }
    return { method: method as M, chain: this.chainOf(method) };
  }

  /** wrapper ids inside `method`, innermost first; [] for a method no wrapper produced */
  chainOf(method: object): readonly string[] {
    return this.chains.get(method) ?? [];
  }

  /** true when wrapper `id` is anywhere in the chain that produced `method` */
  isWrapped(method: object, id: string): boolean {
    return this.chainOf(method).includes(id);
  }

  private ordered(): Array<QuantWrapper<unknown, object>> {
    return this.table
      .list()
      .map((e) => e.value)
      .sort((a, b) => (a.priority ?? 100) - (b.priority ?? 100) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }
}
