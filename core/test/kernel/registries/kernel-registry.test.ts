import { describe, expect, it } from 'vitest';
import { KernelUnavailableError } from '../../../src/errors.ts';
import { KernelRegistry, type Capabilities, type KernelOverride } from '../../../src/kernel/registries/kernel-registry.ts';

const AVX2: Capabilities = { arch: 'x64', cores: 2, avx2: true, fma: true, f16c: true };
const AVX512: Capabilities = { ...AVX2, avx512f: true };
const PLAIN: Capabilities = { arch: 'x64', cores: 2 };
const ARM: Capabilities = { arch: 'arm64', cores: 4, neon: true };

const impl = (name: string) => Object.assign(() => {}, { label: name });

/** the table every op of the native layer has: optimized rows gated on capabilities, then a portable one */
function registry(caps: Capabilities, overrides: Record<string, KernelOverride> = {}, forcePortable = false): KernelRegistry {
  const reg = new KernelRegistry({ capabilities: caps, overrides: new Map(Object.entries(overrides)), forcePortable });
  reg.register('matmul', { id: 'matmul.portable', priority: 1000, when: () => true, impl: impl('portable') as never });
  reg.register('matmul', { id: 'matmul.avx512', when: (c) => !!c.avx512f, requires: (c) => !!c.avx512f, impl: impl('avx512') as never });
  reg.register('matmul', { id: 'matmul.avx2', when: (c) => !!(c.avx2 && c.fma && c.f16c), requires: (c) => !!c.avx2, impl: impl('avx2') as never });
  reg.register('matmul', { id: 'matmul.neon', when: (c) => !!c.neon, requires: (c) => !!c.neon, impl: impl('neon') as never });
  return reg;
}

describe('KernelRegistry', () => {
  const table: Array<[string, Capabilities, Record<string, KernelOverride>, boolean, string]> = [
    ['avx2 machine, auto', AVX2, {}, false, 'matmul.avx2'],
    ['avx512 machine, auto: first applicable row in order', AVX512, {}, false, 'matmul.avx512'],
    ['plain x64, auto', PLAIN, {}, false, 'matmul.portable'],
    ['arm, auto', ARM, {}, false, 'matmul.neon'],
    ['avx512 machine, avx512 off', AVX512, { 'matmul.avx512': 'off' }, false, 'matmul.avx2'],
    ['avx2 machine, avx2 off', AVX2, { 'matmul.avx2': 'off' }, false, 'matmul.portable'],
    ['avx2 machine, portable on (authoritative over order)', AVX2, { 'matmul.portable': 'on' }, false, 'matmul.portable'],
    ['avx512 machine, avx2 on', AVX512, { 'matmul.avx2': 'on' }, false, 'matmul.avx2'],
    ['plain x64, avx2 on but the CPU cannot run it', PLAIN, { 'matmul.avx2': 'on' }, false, 'matmul.portable'],
    ['avx2 machine, force portable', AVX2, {}, true, 'matmul.portable'],
    ['avx512 machine, force portable, explicit avx2 on wins', AVX512, { 'matmul.avx2': 'on' }, true, 'matmul.avx2'],
    ['avx2 machine, explicit auto', AVX2, { 'matmul.avx2': 'auto' }, false, 'matmul.avx2'],
  ];
  for (const [name, caps, overrides, forcePortable, expected] of table) {
    it(`chooses ${expected}: ${name}`, () => {
      const reg = registry(caps, overrides, forcePortable);
      expect(reg.resolve('matmul').id).toBe(expected);
      expect((reg.impl('matmul') as unknown as { label: string }).label).toBe(expected.split('.')[1]);
    });
  }

  it('every row off → KernelUnavailableError explaining each row', () => {
    const reg = registry(AVX2, { 'matmul.portable': 'off', 'matmul.avx2': 'off' });
    const err = (() => { try { reg.resolve('matmul'); } catch (e) { return e as KernelUnavailableError; } })();
    expect(err).toBeInstanceOf(KernelUnavailableError);
    expect(err!.message).toContain('matmul.avx2: off');
    expect(err!.message).toContain('matmul.neon: requirement not met');
    expect(() => reg.resolve('softmax')).toThrow(/no kernel rows are registered for op 'softmax'/);
  });

  it('passes the shape to `when` and records every resolution with counts', () => {
    const reg = new KernelRegistry({ capabilities: AVX2 });
    reg.register('matmul', { id: 'matmul.small-m', when: (_c, s) => (s?.['M'] ?? Infinity) <= 8, impl: impl('small') as never });
    reg.register('matmul', { id: 'matmul.gemm', when: () => true, impl: impl('gemm') as never });
    expect(reg.resolve('matmul', { M: 1, N: 64, K: 64 }).id).toBe('matmul.small-m');
    expect(reg.resolve('matmul', { M: 1, N: 64, K: 64 }).id).toBe('matmul.small-m');
    expect(reg.resolve('matmul', { M: 512, N: 64, K: 64 }).id).toBe('matmul.gemm');
    expect(reg.resolve('matmul').id).toBe('matmul.gemm');
    const rec = reg.resolutions().map((r) => [r.rowId, r.shape?.['M'], r.count]);
    expect(rec).toEqual([['matmul.small-m', 1, 2], ['matmul.gemm', 512, 1], ['matmul.gemm', undefined, 1]]);
    const text = reg.describe();
    expect(text).toContain('matmul.small-m');
    expect(text).toMatch(/matmul K=64,M=1,N=64 → matmul\.small-m \(auto\) ×2/);
  });

  it('bindOps resolves each op once and follows registration changes', () => {
    const reg = new KernelRegistry({ capabilities: AVX2 });
    const portable = impl('portable');
    const fast = impl('fast');
    reg.register('softmax', { id: 'softmax.portable', priority: 1000, when: () => true, impl: portable as never });
    const ops = reg.bindOps();
    expect(ops.softmax).toBe(portable);
    const off = reg.register('softmax', { id: 'softmax.fast', when: () => true, impl: fast as never });
    expect(ops.softmax).toBe(fast);
    off();
    expect(ops.softmax).toBe(portable);
    expect(Object.keys(ops)).toEqual(['softmax']);
    expect(() => ops.matmul).toThrow(KernelUnavailableError);
  });

  it('reports override keys that name no row', () => {
    const reg = registry(AVX2, { 'matmul.avx3': 'on' });
    expect(reg.unknownOverrideKeys()).toEqual(['matmul.avx3']);
    expect(reg.describe()).toContain('overrides naming no registered row: matmul.avx3');
  });

  it('validates rows', () => {
    const reg = new KernelRegistry({ capabilities: AVX2 });
    expect(() => reg.register('matmul', { id: '', when: () => true, impl: (() => {}) as never })).toThrow(/non-empty string id/);
    expect(() => reg.register('matmul', { id: 'x', impl: (() => {}) as never } as never)).toThrow(/when/);
  });
});
