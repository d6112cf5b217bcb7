import { NATIVE_OP_NAMES } from '@plexus/native';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/kernel/log.ts';
import { loadNativeBridge } from '../../src/kernel/native-bridge.ts';
import { createPlexus } from '../../src/kernel/runtime.ts';

function start(env: Record<string, string>) {
  return createPlexus({ env, bundledPluginsDir: null, logger: silentLogger() });
}

describe('native kernel rows in the KernelRegistry', () => {
  it('registers both rows of every native op; optimized rows cannot be forced onto a CPU without their features', () => {
    const bridge = loadNativeBridge();
    expect(bridge.error).toBeUndefined();
    for (const op of NATIVE_OP_NAMES) {
      const ids = bridge.rows.filter((r) => r.op === op).map((r) => r.row.id);
      expect(ids.sort()).toEqual([`${op}.avx2`, `${op}.portable`]);
    }
    const avx2 = bridge.rows.find((r) => r.row.id === 'matmul.avx2')!.row;
    expect(avx2.requires?.({ arch: 'x64', cores: 1 })).toBe(false);
    expect(avx2.requires?.({ arch: 'x64', cores: 1, avx2: true, fma: true, f16c: true })).toBe(true);
  });

  it('auto picks the optimized row where the CPU has it; PLEXUS_FORCE_PORTABLE_KERNELS picks portable everywhere', async () => {
    const auto = await start({});
    const optimized = !!(auto.capabilities.avx2 && auto.capabilities.fma && auto.capabilities.f16c);
    for (const op of NATIVE_OP_NAMES) expect(auto.kernels.resolve(op).id).toBe(`${op}.${optimized ? 'avx2' : 'portable'}`);
    const portable = await start({ PLEXUS_FORCE_PORTABLE_KERNELS: 'true' });
    for (const op of NATIVE_OP_NAMES) expect(portable.kernels.resolve(op).id).toBe(`${op}.portable`);
  });

  it('bound ops run the chosen native implementation (both paths agree on softmax)', async () => {
    const rows = 3;
    const cols = 37;
    const input = Float32Array.from({ length: rows * cols }, (_, i) => Math.sin(i) * 4);
    const results = [];
    for (const env of [{}, { PLEXUS_FORCE_PORTABLE_KERNELS: '1' }] as Record<string, string>[]) {
      const x = input.slice();
      (await start(env)).kernels.bindOps().softmax(x, rows, cols);
      results.push(x);
    }
    for (let r = 0; r < rows; r++) {
      const sum = results[1]!.subarray(r * cols, (r + 1) * cols).reduce((a, b) => a + b, 0);
      expect(sum).toBeCloseTo(1, 5);
    }
    for (let i = 0; i < input.length; i++) expect(results[0]![i]).toBeCloseTo(results[1]![i]!, 6);
  });
});
