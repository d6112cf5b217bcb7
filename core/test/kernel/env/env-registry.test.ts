import { describe, expect, it } from 'vitest';
import { EnvVarError } from '../../../src/errors.ts';
import { declareCoreEnv, kernelOverridesFrom } from '../../../src/kernel/env/core-env.ts';
import { EnvRegistry, type RawEnv } from '../../../src/kernel/env/env-registry.ts';
import { defineEnv } from '../../../src/kernel/env/env-spec.ts';

function registry(source: RawEnv) {
  const warnings: Array<[string, string]> = [];
  const env = new EnvRegistry({ source, warn: (m, v) => warnings.push([v, m]) });
  return { env, warnings };
}

const threads = defineEnv({ name: 'PLEXUS_T_THREADS', owner: 'test', type: 'int', default: 4, min: 1, doc: 'threads' });
const mode = defineEnv({ name: 'PLEXUS_T_MODE', owner: 'test', type: 'enum', choices: ['auto', 'on', 'off'], default: 'auto', doc: 'tri-state policy' });
const flag = defineEnv({ name: 'PLEXUS_T_FLAG', owner: 'test', type: 'bool', default: false, doc: 'a flag' });
const blob = defineEnv({ name: 'PLEXUS_T_JSON', owner: 'test', type: 'json', default: null, doc: 'json' });

describe('EnvRegistry', () => {
  it('parses declared variables into a typed snapshot; unset and empty use the default', () => {
    const { env, warnings } = registry({ PLEXUS_T_THREADS: '8', PLEXUS_T_FLAG: '' });
    const t = env.declare(threads).variable;
    const f = env.declare(flag).variable;
    const snap = env.snapshot();
    expect(snap.get(t)).toBe(8);
    expect(snap.get(f)).toBe(false);
    expect(snap.entry('PLEXUS_T_THREADS')).toMatchObject({ source: 'env', raw: '8' });
    expect(snap.entry('PLEXUS_T_FLAG')).toMatchObject({ source: 'default' });
    expect(warnings).toEqual([]);
  });

  it('an invalid tuning value warns once and falls back to the default', () => {
    const { env, warnings } = registry({ PLEXUS_T_THREADS: 'many', PLEXUS_T_FLAG: 'truthy' });
    env.declare(threads);
    env.declare(flag);
    expect(env.snapshot().get(threads)).toBe(4);
    expect(env.snapshot().get(flag)).toBe(false);
    expect(env.snapshot().entry('PLEXUS_T_THREADS')?.problem).toContain("'many' is not an integer");
    expect(warnings.map(([v]) => v)).toEqual(['PLEXUS_T_THREADS', 'PLEXUS_T_FLAG']);
    expect(warnings[0]![1]).toContain('using the default (4)');
  });

  it('a value below the minimum is an invalid tuning value too', () => {
    const { env, warnings } = registry({ PLEXUS_T_THREADS: '0' });
    env.declare(threads);
    expect(env.snapshot().get(threads)).toBe(4);
    expect(warnings).toHaveLength(1);
  });

  it('an invalid enum value throws EnvVarError naming the variable and the choices', () => {
    const { env } = registry({ PLEXUS_T_MODE: 'sometimes' });
    const err = (() => { try { env.declare(mode); } catch (e) { return e as EnvVarError; } })();
    expect(err).toBeInstanceOf(EnvVarError);
    expect(err!.param).toBe('PLEXUS_T_MODE');
    expect(err!.message).toContain('auto, on, off');
  });

  it('tri-state enums accept auto/on/off in any case', () => {
    for (const [raw, expected] of [['auto', 'auto'], ['On', 'on'], ['OFF', 'off'], [undefined, 'auto']] as const) {
      const { env } = registry(raw === undefined ? {} : { PLEXUS_T_MODE: raw });
      expect(env.declare(mode) && env.snapshot().get(mode.name as never)).toBe(expected);
    }
  });

  it('warns once per undeclared PLEXUS_* variable, ignores other prefixes, and throws in strict mode', () => {
    const { env, warnings } = registry({ PLEXUS_T_THREADS: '2', PLEXUS_TYPO: '1', PLEXUS_OTHER: 'x', HOME: '/root', NOT_PLEXUS_X: '1' });
    env.declare(threads);
    expect(env.validateUnknown()).toEqual(['PLEXUS_OTHER', 'PLEXUS_TYPO']);
    env.validateUnknown();
    expect(warnings.map(([v]) => v)).toEqual(['PLEXUS_OTHER', 'PLEXUS_TYPO']);
    expect(() => env.validateUnknown({ strict: true })).toThrow(EnvVarError);
    expect(() => env.validateUnknown({ strict: true })).toThrow(/PLEXUS_OTHER, PLEXUS_TYPO/);
  });

  it('the snapshot is taken once: later changes to the source have no effect', () => {
    const source: Record<string, string | undefined> = { PLEXUS_T_THREADS: '3' };
    const { env } = registry(source);
    env.declare(threads);
    source['PLEXUS_T_THREADS'] = '16';
    expect(env.snapshot().get(threads)).toBe(3);
  });

  it('CLI overrides win over the environment', () => {
    const env = new EnvRegistry({ source: { PLEXUS_T_THREADS: '3' }, overrides: { PLEXUS_T_THREADS: '5' } });
    env.declare(threads);
    expect(env.snapshot().get(threads)).toBe(5);
  });

  it('override scopes re-snapshot, can unset a value, nest, restore afterwards and are async-safe', async () => {
    const { env } = registry({ PLEXUS_T_THREADS: '3', PLEXUS_T_JSON: '{"a":1}' });
    env.declare(threads);
    env.declare(blob);
    env.overrideScope({ PLEXUS_T_THREADS: '9' }, () => {
      expect(env.snapshot().get(threads)).toBe(9);
      env.overrideScope({ PLEXUS_T_THREADS: undefined, PLEXUS_T_JSON: 'null' }, () => {
        expect(env.snapshot().get(threads)).toBe(4); // unset → default
        expect(env.snapshot().get(blob)).toBeNull(); // explicit null is a value
        expect(env.snapshot().entry('PLEXUS_T_JSON')?.source).toBe('env');
      });
      expect(env.snapshot().get(threads)).toBe(9);
    });
    expect(env.snapshot().get(threads)).toBe(3);
    expect(env.snapshot().get(blob)).toEqual({ a: 1 });

    const tick = () => new Promise((r) => setTimeout(r, 5));
    const seen = await Promise.all(['11', '12'].map((v) => env.overrideScope({ PLEXUS_T_THREADS: v }, async () => {
      await tick();
      return env.snapshot().get(threads);
    })));
    expect(seen).toEqual([11, 12]);
    expect(env.snapshot().get(threads)).toBe(3);
  });

  it('deprecated aliases supply the value with a warning; the new name wins when both are set', () => {
    const spec = defineEnv({ name: 'PLEXUS_T_NEW', owner: 'test', type: 'int', default: 1, doc: 'x', deprecatedAliases: ['PLEXUS_T_OLD'] });
    const a = registry({ PLEXUS_T_OLD: '7' });
    a.env.declare(spec);
    expect(a.env.snapshot().get(spec.name as never)).toBe(7);
    expect(a.env.snapshot().entry('PLEXUS_T_NEW')?.source).toBe('alias');
    expect(a.warnings[0]![1]).toContain('rename it to PLEXUS_T_NEW');
    expect(a.env.validateUnknown()).toEqual([]);
    const b = registry({ PLEXUS_T_OLD: '7', PLEXUS_T_NEW: '2' });
    b.env.declare(spec);
    expect(b.env.snapshot().get(spec.name as never)).toBe(2);
    expect(b.warnings[0]![1]).toContain('ignored');
  });

  it('reading an undeclared variable is an error, never an implicit falsy value', () => {
    const { env } = registry({ PLEXUS_T_FLAG: '1' });
    expect(() => env.snapshot().get('PLEXUS_T_FLAG' as never)).toThrow(/not a declared variable/);
  });

  it('validates declarations and enforces one owner per variable', () => {
    const { env } = registry({});
    expect(() => env.declare({ ...threads, name: 'OTHER_X' })).toThrow(/must match PLEXUS_/);
    expect(() => env.declare({ ...mode, default: 'sometimes' })).toThrow(/not one of its choices/);
    env.declare(threads);
    env.declare(threads); // identical: no-op
    expect(() => env.declare({ ...threads, owner: 'someone-else' })).toThrow(/already declared by test/);
    const { dispose } = env.declare(flag);
    dispose();
    expect(env.isDeclared('PLEXUS_T_FLAG')).toBe(false);
  });

  it('core variables: kernel overrides parse rowId=mode and reject malformed items', () => {
    const ok = registry({ PLEXUS_KERNEL_OVERRIDES: 'matmul.avx2=off, attention.portable=ON', PLEXUS_NUM_THREADS: '2' });
    declareCoreEnv(ok.env);
    const snap = ok.env.snapshot();
    expect([...kernelOverridesFrom(snap.get('PLEXUS_KERNEL_OVERRIDES'))]).toEqual([['matmul.avx2', 'off'], ['attention.portable', 'on']]);
    expect(snap.get('PLEXUS_NUM_THREADS')).toBe(2);
    expect(snap.get('PLEXUS_LOG_LEVEL')).toBe('info');
    expect(snap.get('PLEXUS_FORCE_PORTABLE_KERNELS')).toBe(false);
    for (const bad of ['matmul.avx2', 'matmul.avx2=fast', '=on']) {
      expect(() => declareCoreEnv(registry({ PLEXUS_KERNEL_OVERRIDES: bad }).env), bad).toThrow(EnvVarError);
    }
    expect(() => declareCoreEnv(registry({ PLEXUS_LOG_LEVEL: 'loud' }).env)).toThrow(EnvVarError);
  });
});
