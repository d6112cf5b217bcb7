/** The `plexus` CLI, spawned as users run it: plugins --json, env, kernels, serve, and bad input. */
import { execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'apps', 'server', 'src', 'bin', 'plexus.ts');
const EXAMPLE = path.join(ROOT, 'test', 'fixtures', 'third-party-plugin');
const run = promisify(execFile);

/** a clean environment: no PLEXUS_* from the caller leaks in */
function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PLEXUS_')));
  return { ...base, PLEXUS_LOG_LEVEL: 'warn', ...extra };
}

async function plexus(args: string[], extraEnv: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', BIN, ...args], { cwd: ROOT, env: env(extraEnv) });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('plexus CLI', () => {
  it('plugins --json prints the load report with the bundled and the --plugin plugins', async () => {
    const { code, stdout } = await plexus(['plugins', '--json', '--plugin', EXAMPLE]);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.coreApiVersion).toBe('1.0.0');
    const llama = report.plugins.find((p: { id: string }) => p.id === 'llama');
    expect(llama).toMatchObject({ origin: 'bundled', provides: { architectures: expect.arrayContaining(['LlamaForCausalLM', 'Qwen3ForCausalLM']) } });
    expect(['loaded', 'failed']).toContain(llama.status);
    expect(report.plugins.find((p: { id: string }) => p.id === 'example')).toMatchObject({ origin: 'cli', status: 'loaded', location: EXAMPLE });
  });

  it('plugins --json shows a disabled plugin with its reason', async () => {
    const { stdout } = await plexus(['plugins', '--json'], { PLEXUS_DISABLED_PLUGINS: 'llama' });
    const plugins: Array<{ id: string }> = JSON.parse(stdout).plugins;
    expect(plugins.find((p) => p.id === 'llama')).toEqual(expect.objectContaining({ id: 'llama', status: 'disabled', reason: 'listed in PLEXUS_DISABLED_PLUGINS' }));
  });

  it('env lists name, owner, default, current value and doc, and warns about undeclared variables', async () => {
    const { code, stdout, stderr } = await plexus(['env', '--plugin', EXAMPLE], { PLEXUS_NUM_THREADS: '3', PLEXUS_EXAMPLE_SCALE: '2', PLEXUS_NOT_A_THING: '1' });
    expect(code).toBe(0);
    expect(stdout).toMatch(/^PLEXUS_NUM_THREADS\s+core\s+int\s+0\s+3 \(env\)$/m);
    expect(stdout).toMatch(/^PLEXUS_EXAMPLE_SCALE\s+example\s+float\s+1\s+2 \(env\)$/m);
    expect(stdout).toMatch(/^PLEXUS_LOG_LEVEL\s+core\s+enum\(trace\|.*\)\s+info\s+warn \(env\)$/m);
    expect(stdout).toContain('Compute threads of the native kernels; 0 = all cores.');
    expect(stdout).not.toContain('PLEXUS_NOT_A_THING');
    expect(stderr).toContain('PLEXUS_NOT_A_THING is set but no core component or loaded plugin declares it');
  });

  it('env --json and kernels --json are machine-readable', async () => {
    const [envOut, kernelsOut] = await Promise.all([plexus(['env', '--json']), plexus(['kernels', '--json', '--plugin', EXAMPLE])]);
    const vars = JSON.parse(envOut.stdout) as Array<{ name: string; owner: string; default: unknown; value: unknown; doc: string }>;
    expect(vars.find((v) => v.name === 'PLEXUS_FORCE_PORTABLE_KERNELS')).toMatchObject({ owner: 'core', default: false, value: false });
    const kernels = JSON.parse(kernelsOut.stdout);
    expect(kernels.ops.find((o: { op: string }) => o.op === 'exampleScale')).toMatchObject({ chosen: 'example.scale.portable' });
    expect(typeof kernels.capabilities.cores).toBe('number');
  });

  it('bad input exits 2 with a message saying what to do', async () => {
    const [flag, strict, enumValue, unknown, bench] = await Promise.all([
      plexus(['plugins', '--jsn']),
      plexus(['env', '--strict-env'], { PLEXUS_TYPO: '1' }),
      plexus(['plugins'], { PLEXUS_LOG_LEVEL: 'loud' }),
      plexus(['frobnicate']),
      plexus(['bench', 'serving', '--base-url', 'http://127.0.0.1:1', '--num-prompts', 'lots']),
    ]);
    expect(bench).toMatchObject({ code: 2, stderr: expect.stringContaining("--num-prompts must be an integer ≥ 1, got 'lots'") });
    expect(flag).toMatchObject({ code: 2, stderr: expect.stringContaining("Unknown option '--jsn'") });
    expect(strict).toMatchObject({ code: 2, stderr: expect.stringContaining('PLEXUS_TYPO') });
    expect(enumValue).toMatchObject({ code: 2, stderr: expect.stringContaining("'loud' is not one of") });
    expect(unknown).toMatchObject({ code: 2, stderr: expect.stringContaining("unknown command 'frobnicate'") });
  });

  it('serve answers /health and /plugins and exits cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', BIN, 'serve', '--host', '127.0.0.1', '--port', '0', '--plugin', EXAMPLE], { cwd: ROOT, env: env() });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let err = '';
        child.stderr.on('data', (d: Buffer) => {
          err += d.toString();
          const m = /plexus listening on (http:\/\/\S+)/.exec(err);
          if (m) resolve(m[1]!);
        });
        child.once('exit', (code) => reject(new Error(`serve exited early (${code}): ${err}`)));
      });
      const health = await fetch(`${url}/health`);
      expect(health.status).toBe(200);
      const plugins = (await (await fetch(`${url}/plugins`)).json()) as { plugins: Array<{ id: string; status: string }> };
      expect(plugins.plugins.find((p) => p.id === 'example')?.status).toBe('loaded');
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
