import { describe, expect, it } from 'vitest';
import type { EnvType, EnvVarSpec } from '../../../src/kernel/env/env-spec.ts';
import { parseEnvValue } from '../../../src/kernel/env/parse-env-value.ts';

function spec<T extends EnvType>(type: T, extra: Partial<EnvVarSpec<T>> = {}): EnvVarSpec<T> {
  return { name: 'PLEXUS_T', owner: 'test', type, default: undefined, doc: 'd', ...extra };
}

type Row = [raw: string, expected: unknown];
const valid: Record<string, [EnvVarSpec, Row[]]> = {
  bool: [spec('bool'), [['1', true], ['0', false], ['true', true], ['FALSE', false], ['yes', true], ['No', false], ['on', true], ['off', false], [' true ', true]]],
  int: [spec('int'), [['0', 0], ['42', 42], ['-7', -7], ['+3', 3], [' 12 ', 12], ['9007199254740991', 9007199254740991]]],
  float: [spec('float'), [['1.5', 1.5], ['-0.25', -0.25], ['3', 3], ['1e-3', 0.001], ['.5', 0.5], ['2.', 2]]],
  string: [spec('string'), [['hello world', 'hello world'], ['  padded ', 'padded']]],
  enum: [spec('enum', { choices: ['auto', 'on', 'off'] }), [['auto', 'auto'], ['ON', 'on'], [' off', 'off']]],
  list: [spec('list'), [['a,b,c', ['a', 'b', 'c']], [' a , b ', ['a', 'b']], ['a,,b,', ['a', 'b']], ['single', ['single']]]],
  json: [spec('json'), [['{"a":1}', { a: 1 }], ['[1,2]', [1, 2]], ['null', null], ['"s"', 's'], ['3', 3]]],
};
const invalid: Record<string, [EnvVarSpec, string[]]> = {
  bool: [spec('bool'), ['2', 'y', 'enabled', 'truthy', '-1']],
  int: [spec('int'), ['1.5', 'abc', '0x10', '1e3', '12abc', '99999999999999999999']],
  float: [spec('float'), ['abc', 'NaN', 'Infinity', '1.2.3', '0x1']],
  enum: [spec('enum', { choices: ['auto', 'on', 'off'] }), ['maybe', 'o', 'auto,on']],
  json: [spec('json'), ['{a:1}', '[1,', 'undefined']],
};

describe('parseEnvValue', () => {
  for (const [type, [s, rows]] of Object.entries(valid)) {
    it(`parses valid ${type} values`, () => {
      for (const [raw, expected] of rows) expect(parseEnvValue(s, raw), raw).toEqual({ ok: true, value: expected });
    });
  }
  for (const [type, [s, raws]] of Object.entries(invalid)) {
    it(`rejects invalid ${type} values with a message`, () => {
      for (const raw of raws) {
        const out = parseEnvValue(s, raw);
        expect(out.ok, raw).toBe(false);
        if (!out.ok) expect(out.message).toContain(raw.trim());
      }
    });
  }

  it('applies bounds and the custom check', () => {
    const bounded = spec('int', { min: 0, max: 10 });
    expect(parseEnvValue(bounded, '-1')).toMatchObject({ ok: false, message: expect.stringContaining('minimum 0') });
    expect(parseEnvValue(bounded, '11')).toMatchObject({ ok: false, message: expect.stringContaining('maximum 10') });
    expect(parseEnvValue(bounded, '10')).toEqual({ ok: true, value: 10 });
    const even = spec('int', { check: (v) => (v % 2 ? 'must be even' : undefined) });
    expect(parseEnvValue(even, '3')).toEqual({ ok: false, message: 'must be even' });
  });
});
