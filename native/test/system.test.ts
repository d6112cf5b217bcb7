import { describe, expect, it } from 'vitest';
import { capabilities, getNumThreads, hasOptimizedKernels, loadBinding, nativeKernelRows, nativeOps, NATIVE_OP_NAMES, setNumThreads } from '../src/index.ts';
import { loadBindingFrom, NativeAddonLoadError } from '../src/binding.ts';

describe('capabilities', () => {
  it('reports the CPU features and core count with the documented keys', () => {
    const caps = capabilities();
    expect(Object.keys(caps).sort()).toEqual(['arch', 'avx2', 'avx512bf16', 'avx512f', 'avx512vnni', 'cores', 'f16c', 'fma', 'neon'].sort());
    for (const k of ['avx2', 'fma', 'f16c', 'avx512f', 'avx512bf16', 'avx512vnni', 'neon'] as const) expect(typeof caps[k]).toBe('boolean');
    expect(Number.isInteger(caps.cores) && caps.cores >= 1).toBe(true);
    expect(caps.arch).toBe(process.arch);
  });

  it('agrees with /proc/cpuinfo on x86 Linux', async () => {
    if (process.platform !== 'linux' || process.arch !== 'x64') return;
    const { readFileSync } = await import('node:fs');
    const flags = new Set((/^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '').trim().split(/\s+/));
    const caps = capabilities();
    expect(caps.avx2).toBe(flags.has('avx2'));
    expect(caps.fma).toBe(flags.has('fma'));
    expect(caps.f16c).toBe(flags.has('f16c'));
    expect(caps.avx512f).toBe(flags.has('avx512f'));
  });
});

describe('thread pool size', () => {
  it('defaults to the usable cores (or PLEXUS_NUM_THREADS) and can be changed', () => {
    const initial = getNumThreads();
    const env = process.env.PLEXUS_NUM_THREADS;
    expect(initial).toBe(env ? Number(env) : capabilities().cores);
    try {
      setNumThreads(1);
      expect(getNumThreads()).toBe(1);
      setNumThreads(3);
      expect(getNumThreads()).toBe(3);
      // work still completes with more threads than cores
      const out = new Float32Array(4);
      nativeOps('portable').softmax(out.fill(1), 1, 4);
      expect(Array.from(out)).toEqual([0.25, 0.25, 0.25, 0.25]);
    } finally {
      setNumThreads(initial);
    }
  });

  it('PLEXUS_NUM_THREADS sizes the pool at load; 0 or a bad value keeps every core (the core env registry warns)', async () => {
    const { execFileSync } = await import('node:child_process');
    const { fileURLToPath } = await import('node:url');
    const entry = fileURLToPath(new URL('../src/index.ts', import.meta.url));
    const run = (value: string) => execFileSync(process.execPath, ['--import', 'tsx', '-e',
      `import(${JSON.stringify(entry)}).then((m) => { try { console.log(m.getNumThreads()); } catch (e) { console.log('ERR ' + e.message); } })`],
    { env: { ...process.env, PLEXUS_NUM_THREADS: value }, encoding: 'utf8' }).trim();
    expect(run('1')).toBe('1');
    const cores = run('');
    expect(Number(cores)).toBeGreaterThanOrEqual(1);
    expect(run('0')).toBe(cores);
    expect(run('lots')).toBe(cores);
  });

  it('rejects a bad size', () => {
    expect(() => setNumThreads(0)).toThrow(RangeError);
    expect(() => setNumThreads(1.5)).toThrow(RangeError);
  });
});

describe('addon loader', () => {
  it('says how to rebuild when the addon is missing', () => {
    let err: unknown;
    try { loadBindingFrom('/nonexistent/plexus_native.node'); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(NativeAddonLoadError);
    expect((err as Error).message).toMatch(/is missing/);
    expect((err as Error).message).toMatch(/npm run build:native/);
  });

  it('says how to rebuild when the file is not a loadable addon', async () => {
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const p = join(mkdtempSync(join(tmpdir(), 'plexus-native-')), 'broken.node');
    writeFileSync(p, 'not an ELF file');
    expect(() => loadBindingFrom(p)).toThrow(/failed to load.*npm run build:native/s);
  });

  it('loads the real addon with every op in both variants', () => {
    const b = loadBinding();
    for (const op of NATIVE_OP_NAMES) {
      expect(typeof b[`${op}_avx2`]).toBe('function');
      expect(typeof b[`${op}_portable`]).toBe('function');
    }
  });
});

describe('worker threads', () => {
  it('each worker can load the addon, run sync and async ops, and terminate with a job in flight', async () => {
    const { Worker } = await import('node:worker_threads');
    const { fileURLToPath } = await import('node:url');
    const addonPath = fileURLToPath(new URL('../build/Release/plexus_native.node', import.meta.url));
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      const a = require(workerData.addonPath);
      const K = 512, N = 4096;
      const w = new Float32Array(N * K).fill(0.5);
      const out = new Float32Array(N), x = new Float32Array(K).fill(1);
      a.matmul_portable(out, x, w.buffer, 0, 'F32', 1, N, K);
      const big = new Float32Array(64 * N);
      // a long async job left running when the worker is terminated
      a.matmulAsync_portable(big, new Float32Array(64 * K).fill(1), w.buffer, 0, 'F32', 64, N, K);
      a.matmulAsync_portable(out, x, w.buffer, 0, 'F32', 1, N, K).then(() => parentPort.postMessage(out[7]));
    `;
    const results = await Promise.all([0, 1].map(() => new Promise<number>((resolve, reject) => {
      const worker = new Worker(code, { eval: true, workerData: { addonPath } });
      worker.once('message', (v: number) => { resolve(v); void worker.terminate(); });
      worker.once('error', reject);
    })));
    expect(results).toEqual([256, 256]);
    // terminate while an async job runs: the process survives and the addon still works here
    const w2 = new Worker(code, { eval: true, workerData: { addonPath } });
    await new Promise((r) => setTimeout(r, 5));
    await w2.terminate();
    expect(Array.from(nativeOps('portable').argmax(new Float32Array([0, 2, 1]), 1, 3))).toEqual([1]);
  });
});

describe('kernel rows', () => {
  it('gives an optimized row gated on avx2+fma+f16c and an always-true portable row per op', () => {
    const rows = nativeKernelRows();
    expect(rows).toHaveLength(NATIVE_OP_NAMES.length * 2);
    const noAvx = { ...capabilities(), avx2: false };
    const full = { ...capabilities(), avx2: true, fma: true, f16c: true };
    for (const op of NATIVE_OP_NAMES) {
      const opt = rows.find((r) => r.id === `${op}.avx2`)!;
      const port = rows.find((r) => r.id === `${op}.portable`)!;
      expect(opt.op).toBe(op);
      expect(port.op).toBe(op);
      expect(opt.when(full)).toBe(true);
      expect(opt.when(noAvx)).toBe(false);
      expect(opt.when({ ...full, f16c: false })).toBe(false);
      expect(port.when(noAvx)).toBe(true);
      expect(typeof opt.impl).toBe('function');
      expect(rows.indexOf(opt)).toBeLessThan(rows.indexOf(port));
    }
    expect(hasOptimizedKernels(full)).toBe(true);
  });

  it('row impls are callable detached from their object', () => {
    const row = nativeKernelRows().find((r) => r.id === 'argmax.portable')!;
    const f = row.impl as (x: Float32Array, r: number, c: number) => Int32Array;
    expect(Array.from(f(new Float32Array([1, 3, 2]), 1, 3))).toEqual([1]);
  });
});
