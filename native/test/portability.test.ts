/**
 * The portable path must really run on a CPU without AVX: only optimized functions (compiled with
 * per-function target attributes) may contain VEX-encoded instructions. Convention: optimized code lives
 * in a namespace or function whose name contains "avx2" (plexus::avx2::matmul, qgemm::micro_avx2).
 * Checked on the built addon with objdump; skipped where objdump or an x86 build is not available.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const addon = fileURLToPath(new URL('../build/Release/plexus_native.node', import.meta.url));

function haveObjdump(): boolean {
  try { execFileSync('objdump', ['--version'], { stdio: 'ignore' }); return true; } catch { return false; }
}

/** Name with template arguments and the parameter list removed: 'void plexus::avx2::(anonymous namespace)::gemv' */
function scopeOf(demangled: string): string {
  let out = '', depth = 0;
  for (const ch of demangled.replace(/\(anonymous namespace\)/g, '{anon}')) {
    if (ch === '<') depth++;
    else if (ch === '>') depth--;
    else if (depth === 0) { if (ch === '(') break; out += ch; }
  }
  return out;
}

describe.skipIf(process.arch !== 'x64' || !haveObjdump())('portable code has no AVX instructions', () => {
  it('VEX-encoded instructions appear only in avx2-named functions', () => {
    const asm = execFileSync('objdump', ['-d', '-C', '--no-show-raw-insn', addon], { maxBuffer: 256 * 1024 * 1024 }).toString();
    const vexFunctions = new Set<string>();
    const allFunctions = new Set<string>();
    let current = '';
    for (const line of asm.split('\n')) {
      const header = /^[0-9a-f]+ <(.*)>:$/.exec(line);
      if (header) { current = header[1]!; allFunctions.add(current); continue; }
      if (/^\s+[0-9a-f]+:\s+v[a-z0-9]+\s/.test(line) || /%ymm|%zmm/.test(line)) vexFunctions.add(current);
    }
    const offenders = [...vexFunctions].filter((f) => !/avx2/i.test(scopeOf(f)));
    expect(offenders).toEqual([]);
    // the check is not vacuous: optimized kernels do use AVX, portable ones exist without it
    expect([...vexFunctions].some((f) => f.includes('plexus::avx2::'))).toBe(true);
    expect([...allFunctions].some((f) => f.startsWith('plexus::portable::matmul'))).toBe(true);
    expect([...vexFunctions].some((f) => f.includes('plexus::portable::'))).toBe(false);
  });
});
