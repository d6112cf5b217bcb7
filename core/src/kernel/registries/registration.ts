/**
 * The registration rule shared by every registry: an id maps to one value; registering the same value again
 * is a no-op (reference counted), a different value is a DuplicateRegistrationError; every registration
 * returns an idempotent disposer, so tests and plugin rollback can undo exactly what they did.
 */
import { DuplicateRegistrationError } from '../../errors.ts';

/** Undoes one registration. Calling it twice does nothing the second time. */
export type Disposer = () => void;

export function onceOnly(fn: () => void): Disposer {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    fn();
  };
}

/** Runs disposers in reverse order (last registered, first undone); keeps going when one throws. */
export function disposeAll(disposers: readonly Disposer[]): unknown[] {
  const errors: unknown[] = [];
  for (let i = disposers.length - 1; i >= 0; i--) {
    try {
      disposers[i]!();
    } catch (e) {
      errors.push(e);
    }
  }
  return errors;
}

interface Entry<V> {
  value: V;
  owner: string;
  refs: number;
}

export class RegistrationTable<V> {
  private readonly entries = new Map<string, Entry<V>>();

  /** @param same decides whether a second registration is "the same one" (then it is a no-op) */
  constructor(readonly registryName: string, private readonly same: (a: V, b: V) => boolean = Object.is) {}

  add(id: string, value: V, owner = 'core'): Disposer {
    if (typeof id !== 'string' || id.length === 0) {
      throw new TypeError(`${this.registryName}: an id must be a non-empty string (got ${String(id)})`);
    }
    const existing = this.entries.get(id);
    if (existing) {
      if (!this.same(existing.value, value)) throw new DuplicateRegistrationError(this.registryName, id, existing.owner, owner);
      existing.refs++;
      return onceOnly(() => this.release(id, existing));
    }
    const entry: Entry<V> = { value, owner, refs: 1 };
    this.entries.set(id, entry);
    return onceOnly(() => this.release(id, entry));
  }

  private release(id: string, entry: Entry<V>): void {
    entry.refs--;
    if (entry.refs <= 0 && this.entries.get(id) === entry) this.entries.delete(id);
  }

  get(id: string): V | undefined {
    return this.entries.get(id)?.value;
  }

  ownerOf(id: string): string | undefined {
    return this.entries.get(id)?.owner;
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  ids(): string[] {
    return [...this.entries.keys()];
  }

  /** [id, value, owner] in registration order */
  list(): Array<{ id: string; value: V; owner: string }> {
    return [...this.entries].map(([id, e]) => ({ id, value: e.value, owner: e.owner }));
  }
}
