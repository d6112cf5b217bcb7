/**
 * Compile-time guarantees of the plugin API, checked with the TypeScript compiler: unknown hook events,
 * mismatched payloads, unknown kernel ops and mistyped env reads are type errors (and only those lines).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// never written to disk: served to the compiler from memory, placed in test/ so '@plexus/core' resolves
const PROBE = path.join(ROOT, 'test', '__typed_api_probe__.ts');

const probe = `
import { EnvRegistry, KernelRegistry, LifecycleHookBus } from '@plexus/core';
const bus = new LifecycleHookBus({ engineId: 'e' });
bus.on('requestFinished', (p) => { const id: string = p.requestId; void id; });
bus.on('requestFinishd', () => {}); // expect-error
bus.emit('requestFinished', { requestId: 'r' }); // expect-error
bus.emit('requestAdmitted', { requestId: 'r', promptTokens: 3 });
const pending: boolean = bus.queryAny('hasPendingWork');
bus.queryCollect('hasPendingWork'); // expect-error
const ready: readonly string[] = bus.queryCollect('readyRequests', { candidates: [] });
bus.queryCollect('readyRequests'); // expect-error
const kernels = new KernelRegistry({ capabilities: { arch: 'x64', cores: 1 } });
kernels.register('matmul', { id: 'm', when: () => true, impl: (a) => { const m: number = a.M; void m; } });
kernels.register('matmull', { id: 'm2', when: () => true, impl: () => {} }); // expect-error
kernels.register('softmax', { id: 's', when: () => true, impl: (x: string) => { void x; } }); // expect-error
const snapshot = new EnvRegistry().snapshot();
const threads: number = snapshot.get('PLEXUS_NUM_THREADS');
const portable: string = snapshot.get('PLEXUS_FORCE_PORTABLE_KERNELS'); // expect-error
snapshot.get('PLEXUS_NUM_THREAD'); // expect-error
void pending; void ready; void threads; void portable;
`;

function compile(): { errorLines: number[]; messages: string[] } {
  const { config } = ts.readConfigFile(path.join(ROOT, 'tsconfig.base.json'), ts.sys.readFile);
  const { options } = ts.parseJsonConfigFileContent(config, ts.sys, ROOT);
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (file, lang, ...rest) => (path.resolve(file) === PROBE ? ts.createSourceFile(file, probe, lang) : getSourceFile(file, lang, ...rest));
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (file) => path.resolve(file) === PROBE || fileExists(file);
  const program = ts.createProgram([PROBE], options, host);
  const diagnostics = ts.getPreEmitDiagnostics(program, program.getSourceFile(PROBE));
  return {
    errorLines: diagnostics.map((d) => d.file!.getLineAndCharacterOfPosition(d.start!).line),
    messages: diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')),
  };
}

describe('typed plugin API', () => {
  it('rejects exactly the lines marked expect-error', () => {
    const expected = probe.split('\n').flatMap((line, i) => (line.includes('// expect-error') ? [i] : []));
    const { errorLines, messages } = compile();
    expect([...new Set(errorLines)].sort((a, b) => a - b), messages.join('\n')).toEqual(expected);
  });
});
