/** Thin typed helpers over tsyringe with explicit tokens. */
import 'reflect-metadata';
import { container as rootContainer, type DependencyContainer } from 'tsyringe';
import type { Token } from './tokens.ts';

export type { DependencyContainer };

/** a fresh container (child of tsyringe's global one, which Plexus never registers into) */
export function createContainer(): DependencyContainer {
  return rootContainer.createChildContainer();
}

export function provideValue<T>(c: DependencyContainer, token: Token<T>, value: T): void {
  c.register(token.key, { useValue: value });
}

export function resolveToken<T>(c: DependencyContainer, token: Token<T>): T {
  return c.resolve<T>(token.key);
}
