/** node:util parseArgs with errors that say what to do (InvalidArgumentError, exit code 2 in main). */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { InvalidArgumentError } from '@plexus/core';

export type FlagSpec = NonNullable<ParseArgsConfig['options']>;

export function parseFlags<O extends FlagSpec>(argv: string[], options: O, usage: string) {
  try {
    return parseArgs({ args: joinNegativeValues(argv, options), options, strict: true, allowPositionals: false }).values;
  } catch (e) {
    throw new InvalidArgumentError(`${(e as Error).message}\nusage: ${usage}`);
  }
}

/** `--top-k -1` → `--top-k=-1`: parseArgs would read a value starting with '-' as a missing argument */
function joinNegativeValues(argv: string[], options: FlagSpec): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = argv[i + 1];
    const name = arg.startsWith('--') && !arg.includes('=') ? arg.slice(2) : undefined;
    if (name !== undefined && options[name]?.type === 'string' && next !== undefined && /^-\d/.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else {
      out.push(arg);
    }
  }
  return out;
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

/** an integer flag with a lower bound that may be negative (e.g. --top-k -1); undefined when absent */
export function parseOptionalInt(name: string, text: string | undefined, min: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < min) {
    throw new InvalidArgumentError(`--${name} must be an integer ≥ ${min}, got '${text}'`, name);
  }
  return n;
}

/** a finite number flag in [min, max]; undefined when absent */
export function parseNumberFlag(name: string, text: string | undefined, range: { min: number; max?: number; minExclusive?: boolean }): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  const max = range.max ?? Infinity;
  const aboveMin = range.minExclusive ? n > range.min : n >= range.min;
  if (text.trim() === '' || !Number.isFinite(n) || !aboveMin || n > max) {
    const lower = `${range.minExclusive ? '>' : '≥'} ${range.min}`;
    const bounds = Number.isFinite(max) ? `a number ${lower} and ≤ ${max}` : `a number ${lower}`;
    throw new InvalidArgumentError(`--${name} must be ${bounds}, got '${text}'`, name);
  }
  return n;
}
