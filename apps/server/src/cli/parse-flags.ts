/** node:util parseArgs with errors that say what to do (InvalidArgumentError, exit code 2 in main). */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { InvalidArgumentError } from '@plexus/core';

export type FlagSpec = NonNullable<ParseArgsConfig['options']>;

export function parseFlags<O extends FlagSpec>(argv: string[], options: O, usage: string) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (e) {
    throw new InvalidArgumentError(`${(e as Error).message}\nusage: ${usage}`);
  }
}

/** a TCP port flag: integer 0..65535 */
export function parsePort(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n > 65535) throw new InvalidArgumentError(`--port must be an integer from 0 to 65535, got '${text}'`, 'port');
  return n;
}

/** a positive (or, with min 0, non-negative) integer flag */
export function parseIntFlag(name: string, text: string | undefined, fallback: number, min = 1): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < min) {
    throw new InvalidArgumentError(`--${name} must be an integer ≥ ${min}, got '${text}'`, name);
  }
  return n;
}
