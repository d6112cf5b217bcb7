/** Builds an app (and optionally a live loopback server) around the fake engine and tokenizer. */
import { createApp } from '../../src/http/app.ts';
import { startServer, type RunningServer } from '../../src/http/start-server.ts';
import type { AppDeps, AppLogger, ServedModel } from '../../src/http/types.ts';
import { FakeEngine, type FakeEngineOptions } from './fake-engine.ts';
import { fakeStreamText } from './fake-stream-text.ts';
import { EOS, FakeTokenizer } from './fake-tokenizer.ts';

export const MODEL_NAME = 'fake-model';

export class RecordingLogger implements AppLogger {
  readonly records: Array<{ level: string; obj: object; msg?: string }> = [];
  info(obj: object, msg?: string) { this.records.push({ level: 'info', obj, msg }); }
  warn(obj: object, msg?: string) { this.records.push({ level: 'warn', obj, msg }); }
  error(obj: object, msg?: string) { this.records.push({ level: 'error', obj, msg }); }
}

export interface HarnessOptions {
  engine?: FakeEngineOptions;
  maxModelLen?: number;
  ready?: () => boolean;
  hasChatTemplate?: boolean;
  deps?: Partial<AppDeps>;
  noModel?: boolean;
  /** extra ServedModel fields (chat encoder, reasoning / tool-call parsers) */
  model?: Partial<ServedModel>;
}

export function makeHarness(opts: HarnessOptions = {}) {
  const engine = new FakeEngine(opts.engine);
  const tokenizer = new FakeTokenizer(opts.hasChatTemplate ?? true);
  const logger = new RecordingLogger();
  const model: ServedModel = {
    name: MODEL_NAME,
    maxModelLen: opts.maxModelLen ?? 256,
    tokenizer,
    engine,
    ready: opts.ready ?? (() => true),
    defaults: { eosTokenIds: [EOS] },
    ...opts.model,
  };
  const app = createApp({
    pluginReport: () => ({ plugins: [{ id: 'fake', status: 'loaded' }] }),
    model: opts.noModel ? undefined : model,
    logger,
    streamText: fakeStreamText,
    ...opts.deps,
  });
  return { app, engine, tokenizer, logger, model };
}

export async function startHarness(opts: HarnessOptions = {}): Promise<ReturnType<typeof makeHarness> & { server: RunningServer }> {
  const h = makeHarness(opts);
  const server = await startServer(h.app, { host: '127.0.0.1', port: 0 });
  return { ...h, server };
}

export const postJson = (app: { request: (path: string, init?: RequestInit) => Response | Promise<Response> }, path: string, body: unknown, headers: Record<string, string> = {}) =>
  app.request(path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });

/** parses an SSE body into its data payloads (JSON objects, or the string "[DONE]") */
export async function readSse(res: Response): Promise<Array<Record<string, any> | '[DONE]'>> {
  const text = await res.text();
  const out: Array<Record<string, any> | '[DONE]'> = [];
  for (const block of text.split('\n\n')) {
    if (!block.trim()) continue;
    if (!block.startsWith('data: ')) throw new Error(`malformed SSE block: ${JSON.stringify(block)}`);
    const data = block.slice('data: '.length);
    out.push(data === '[DONE]' ? '[DONE]' : JSON.parse(data));
  }
  return out;
}
