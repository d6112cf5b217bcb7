import { describe, expect, it } from 'vitest';
import { satisfiesRange } from '../../../src/kernel/plugins/semver-range.ts';

describe('satisfiesRange', () => {
  const table: Array<[string, string, boolean]> = [
    ['1.0.0', '^1', true], ['1.9.3', '^1', true], ['2.0.0', '^1', false], ['0.9.0', '^1', false],
    ['1.2.3', '^1.2', true], ['1.1.9', '^1.2', false], ['1.4.0', '^1.2.3', true], ['1.2.2', '^1.2.3', false],
    ['0.2.5', '^0.2.3', true], ['0.3.0', '^0.2.3', false], ['0.0.3', '^0.0.3', true], ['0.0.4', '^0.0.3', false],
    ['0.5.0', '^0', true], ['1.0.0', '^0', false],
    ['1.2.9', '~1.2.3', true], ['1.3.0', '~1.2.3', false], ['1.0.5', '~1.0', true], ['1.1.0', '~1.0', false], ['1.7.0', '~1', true],
    ['1.0.0', '>=1.0.0', true], ['0.9.9', '>=1.0.0', false], ['1.0.1', '>1.0.0', true], ['1.0.0', '>1.0.0', false],
    ['2.0.0', '>1', true], ['1.9.9', '>1', false], ['1.2.9', '<=1.2', true], ['1.3.0', '<=1.2', false], ['0.9.0', '<1.0.0', true],
    ['1.0.0', '1.0.0', true], ['1.0.1', '1.0.0', false], ['1.0.0', '=1.0.0', true],
    ['1.5.0', '1.x', true], ['2.0.0', '1.x', false], ['1.2.7', '1.2.x', true], ['3.1.4', '*', true], ['1.4.0', '1', true],
    ['1.5.0', '>=1.0.0 <2', true], ['2.0.0', '>=1.0.0 <2', false], ['3.0.0', '^1 || ^3', true], ['2.0.0', '^1 || ^3', false],
  ];
  for (const [version, range, expected] of table) {
    it(`${version} ${expected ? 'satisfies' : 'does not satisfy'} ${range}`, () => expect(satisfiesRange(version, range)).toBe(expected));
  }
  it('rejects what it cannot parse', () => {
    expect(() => satisfiesRange('1.0.0', 'banana')).toThrow(/cannot parse 'banana'/);
    expect(() => satisfiesRange('1.0', '^1')).toThrow(/not a version/);
    expect(() => satisfiesRange('1.0.0', '')).toThrow(/empty version range/);
  });
});
