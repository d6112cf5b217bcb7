/**
 * Parses one raw environment string by declared type. No implicit truthiness: a bool is one of the explicit
 * spellings below, anything else is invalid. Returns a value or a message; the caller applies the policy.
 */
import type { EnvType, EnvValue, EnvVarSpec } from './env-spec.ts';

export type ParseOutcome<T> = { ok: true; value: T } | { ok: false; message: string };

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off']);
const INT = /^[+-]?\d+$/;
const FLOAT = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

export function parseEnvValue<T extends EnvType>(spec: EnvVarSpec<T>, raw: string): ParseOutcome<EnvValue<T>> {
  const outcome = parseByType(spec, raw.trim());
  if (!outcome.ok) return outcome as ParseOutcome<EnvValue<T>>;
  const value = outcome.value as EnvValue<T>;
  if (typeof value === 'number') {
    if (spec.min !== undefined && value < spec.min) return { ok: false, message: `${value} is below the minimum ${spec.min}` };
    if (spec.max !== undefined && value > spec.max) return { ok: false, message: `${value} is above the maximum ${spec.max}` };
  }
  const problem = spec.check?.(value);
  if (problem) return { ok: false, message: problem };
  return { ok: true, value };
}

function parseByType(spec: EnvVarSpec, text: string): ParseOutcome<unknown> {
  switch (spec.type) {
    case 'bool': {
      const lower = text.toLowerCase();
      if (TRUE.has(lower)) return { ok: true, value: true };
      if (FALSE.has(lower)) return { ok: true, value: false };
      return { ok: false, message: `'${text}' is not a boolean (use 1/0, true/false, yes/no or on/off)` };
    }
    case 'int': {
      const n = Number(text);
      if (!INT.test(text) || !Number.isSafeInteger(n)) return { ok: false, message: `'${text}' is not an integer` };
      return { ok: true, value: n };
    }
    case 'float': {
      const n = Number(text);
      if (!FLOAT.test(text) || !Number.isFinite(n)) return { ok: false, message: `'${text}' is not a finite number` };
      return { ok: true, value: n };
    }
    case 'string':
      return { ok: true, value: text };
    case 'enum': {
      const choice = (spec.choices ?? []).find((c) => c.toLowerCase() === text.toLowerCase());
      if (choice === undefined) return { ok: false, message: `'${text}' is not one of ${(spec.choices ?? []).join(', ')}` };
      return { ok: true, value: choice };
    }
    case 'list':
      return { ok: true, value: Object.freeze(text.split(',').map((s) => s.trim()).filter((s) => s.length > 0)) };
    case 'json':
      try {
        return { ok: true, value: JSON.parse(text) as unknown };
      } catch (e) {
        return { ok: false, message: `'${text.length > 60 ? `${text.slice(0, 57)}...` : text}' is not valid JSON (${(e as Error).message})` };
      }
    default:
      return { ok: false, message: `unknown variable type '${String((spec as { type: unknown }).type)}'` };
  }
}
