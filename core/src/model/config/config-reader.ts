/**
 * Typed, validating reads of config.json fields for model plugins. Every failure is a CheckpointFormatError
 * naming the file and the field and saying what was expected, so a bad config fails at load, not as a NaN
 * mid-forward.
 */
import { CheckpointFormatError } from '../../errors.ts';

export type RawConfig = Readonly<Record<string, unknown>>;

export class ConfigReader {
  constructor(readonly file: string, readonly raw: RawConfig, private readonly prefix = '') {}

  fail(field: string, message: string): never {
    throw new CheckpointFormatError(this.file, `field "${this.prefix}${field}" ${message}`);
  }

  /** null and undefined both mean absent: HF writes null for unset optional fields */
  has(field: string): boolean {
    const v = this.raw[field];
    return v !== undefined && v !== null;
  }

  int(field: string, opts: { min?: number; default?: number } = {}): number {
    const v = this.raw[field];
    if (v === undefined || v === null) {
      if (opts.default !== undefined) return opts.default;
      this.fail(field, 'is required (an integer) but missing');
    }
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) this.fail(field, `must be an integer, got ${JSON.stringify(v)}`);
    const min = opts.min ?? 1;
    if (v < min) this.fail(field, `must be >= ${min}, got ${v}`);
    return v;
  }

  optionalInt(field: string, opts: { min?: number } = {}): number | undefined {
    return this.has(field) ? this.int(field, opts) : undefined;
  }

  number(field: string, opts: { default?: number; positive?: boolean } = {}): number {
    const v = this.raw[field];
    if (v === undefined || v === null) {
      if (opts.default !== undefined) return opts.default;
      this.fail(field, 'is required (a number) but missing');
    }
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(field, `must be a finite number, got ${JSON.stringify(v)}`);
    if (opts.positive && !(v > 0)) this.fail(field, `must be > 0, got ${v}`);
    return v;
  }

  optionalNumber(field: string, opts: { positive?: boolean } = {}): number | undefined {
    return this.has(field) ? this.number(field, opts) : undefined;
  }

  bool(field: string, fallback: boolean): boolean {
    const v = this.raw[field];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') this.fail(field, `must be true or false, got ${JSON.stringify(v)}`);
    return v;
  }

  string(field: string, fallback?: string): string {
    const v = this.raw[field];
    if (v === undefined || v === null) {
      if (fallback !== undefined) return fallback;
      this.fail(field, 'is required (a string) but missing');
    }
    if (typeof v !== 'string') this.fail(field, `must be a string, got ${JSON.stringify(v)}`);
    return v;
  }

  array(field: string): unknown[] | undefined {
    const v = this.raw[field];
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v)) this.fail(field, `must be a list, got ${JSON.stringify(v)}`);
    return v;
  }

  stringArray(field: string): string[] | undefined {
    const v = this.raw[field];
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) this.fail(field, `must be a list of strings, got ${JSON.stringify(v)}`);
    return v as string[];
  }

  /** a nested object (e.g. rope_parameters) read with the same rules, errors naming "outer.inner" */
  object(field: string): ConfigReader | undefined {
    const v = this.raw[field];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'object' || Array.isArray(v)) this.fail(field, `must be an object, got ${JSON.stringify(v)}`);
    return new ConfigReader(this.file, v as RawConfig, `${this.prefix}${field}.`);
  }
}
