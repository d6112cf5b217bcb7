/** Memory sizes as users write them: 1073741824, 512MiB, 2GiB, 1.5GB (binary and decimal units). */
import { InvalidArgumentError } from '@plexus/core';

const UNITS: Record<string, number> = {
  '': 1, b: 1,
  k: 1e3, kb: 1e3, m: 1e6, mb: 1e6, g: 1e9, gb: 1e9, t: 1e12, tb: 1e12,
  ki: 2 ** 10, kib: 2 ** 10, mi: 2 ** 20, mib: 2 ** 20, gi: 2 ** 30, gib: 2 ** 30, ti: 2 ** 40, tib: 2 ** 40,
};

/** bytes, or undefined when the text is not a size (callers word the error) */
export function tryParseByteSize(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?(?:e\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  if (!m) return undefined;
  const unit = UNITS[m[2]!.toLowerCase()];
  if (unit === undefined) return undefined;
  const bytes = Math.floor(Number(m[1]) * unit);
  return Number.isSafeInteger(bytes) && bytes > 0 ? bytes : undefined;
}

export function parseByteSize(flag: string, text: string): number {
  const bytes = tryParseByteSize(text);
  if (bytes === undefined) {
    throw new InvalidArgumentError(`--${flag} must be a positive size in bytes, e.g. 1073741824, 512MiB or 2GiB; got '${text}'`, flag);
  }
  return bytes;
}
