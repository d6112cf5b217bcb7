/** The shared config.json reader: absent vs null, defaults, bounds, and errors naming the nested field path. */
import { describe, expect, it } from 'vitest';
import { CheckpointFormatError, ConfigReader } from '../../src/api.ts';

const reader = (raw: Record<string, unknown>) => new ConfigReader('/m/config.json', raw);

function errorOf(fn: () => unknown): CheckpointFormatError {
  try {
    fn();
  } catch (e) {
    if (e instanceof CheckpointFormatError) return e;
    throw e;
  }
  throw new Error('expected a CheckpointFormatError');
}

describe('ConfigReader', () => {
  it('treats null like absent and applies defaults', () => {
    const r = reader({ a: null, n: 3 });
    expect(r.has('a')).toBe(false);
    expect(r.has('n')).toBe(true);
    expect(r.int('a', { default: 7 })).toBe(7);
    expect(r.optionalInt('a')).toBeUndefined();
    expect(r.optionalNumber('missing')).toBeUndefined();
    expect(r.bool('a', true)).toBe(true);
    expect(r.string('a', 'x')).toBe('x');
    expect(r.array('a')).toBeUndefined();
    expect(r.object('a')).toBeUndefined();
  });

  it('rejects wrong types and out-of-range values, naming the field', () => {
    const r = reader({ i: 1.5, z: 0, f: 'x', neg: -1, b: 'yes', s: 3, l: {}, sl: ['a', 2], o: [1] });
    expect(errorOf(() => r.int('i')).message).toContain('"i" must be an integer');
    expect(errorOf(() => r.int('z')).message).toContain('must be >= 1, got 0');
    expect(r.int('z', { min: 0 })).toBe(0);
    expect(errorOf(() => r.int('absent')).message).toContain('"absent" is required');
    expect(errorOf(() => r.number('f')).message).toContain('must be a finite number');
    expect(errorOf(() => r.optionalNumber('neg', { positive: true })).message).toContain('must be > 0, got -1');
    expect(r.optionalNumber('neg')).toBe(-1);
    expect(errorOf(() => r.bool('b', false)).message).toContain('must be true or false');
    expect(errorOf(() => r.string('s')).message).toContain('must be a string');
    expect(errorOf(() => r.array('l')).message).toContain('must be a list');
    expect(errorOf(() => r.stringArray('sl')).message).toContain('must be a list of strings');
    expect(errorOf(() => r.object('o')).message).toContain('must be an object');
  });

  it('reads nested objects with the outer field in the error path', () => {
    const outer = reader({ rope_parameters: { factor: 0, kind: 'yarn' } });
    const inner = outer.object('rope_parameters')!;
    expect(inner.string('kind')).toBe('yarn');
    const err = errorOf(() => inner.number('factor', { positive: true }));
    expect(err.message).toContain('"rope_parameters.factor"');
    expect(err.message).toContain('/m/config.json');
  });
});
