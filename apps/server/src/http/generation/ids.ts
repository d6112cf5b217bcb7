/** Response/request ids: random, so engine request ids never collide across clients. */
import { randomUUID } from 'node:crypto';

export const newId = (prefix: string): string => `${prefix}-${randomUUID().replaceAll('-', '')}`;

export const unixSeconds = (): number => Math.floor(Date.now() / 1000);
