/**
 * Sends a few thousand random and mutated bodies to a live loopback server, then checks that nothing
 * answered 5xx/422, no engine request was left running, a valid request still succeeds, and heap usage
 * is back near its baseline.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mulberry32 as rng } from '../../../test/support/seeded-random.ts';
import { startHarness } from './helpers/harness.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const ROUNDS = 3000;
const PARALLEL = 8;
const ALLOWED = new Set([200, 400, 404, 413, 501, 503]);

type Harness = Awaited<ReturnType<typeof startHarness>>;
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ maxModelLen: 96, deps: { limits: { maxBodyBytes: 64 * 1024 } } });
});
afterAll(async () => {
  await h.server.close(0);
});

const SEEDS: Array<[string, Record<string, unknown>]> = [
  ['/v1/chat/completions', { model: 'fake-model', messages: [{ role: 'user', content: 'hi' }], max_tokens: 8, stream: false }],
  ['/v1/chat/completions', { messages: [{ role: 'system', content: 's' }, { role: 'user', content: [{ type: 'text', text: 'q' }] }], n: 2, stream: true, stream_options: { include_usage: true }, logprobs: true, top_logprobs: 2 }],
  ['/v1/completions', { prompt: 'abc', max_tokens: 6, stop: ['l'], logprobs: 1 }],
  ['/v1/completions', { prompt: [[1, 2, 3], [4]], n: 2, stream: true, max_tokens: 4 }],
  ['/generate', { input_ids: [1, 2, 3], sampling_params: { max_new_tokens: 5, ignore_eos: true }, return_logprob: true, top_logprobs_num: 2 }],
  ['/generate', { text: 'hello', sampling_params: { max_new_tokens: 3, stop: 'l' }, stream: true }],
  ['/tokenize', { prompt: 'hello' }],
  ['/detokenize', { tokens: [104, 105] }],
];

const KEYS = ['messages', 'prompt', 'max_tokens', 'n', 'stop', 'temperature', 'top_p', 'top_k', 'seed', 'stream', 'logprobs', 'top_logprobs', 'input_ids', 'text', 'sampling_params', 'tokens', 'tools', 'response_format', 'stream_options', 'model', 'min_tokens', 'stop_token_ids', '__proto__', 'constructor'];

function randomValue(r: () => number, depth = 0): unknown {
  const pick = Math.floor(r() * 16);
  switch (pick) {
    case 0: return null;
    case 1: return r() < 0.5;
    case 2: return Math.floor(r() * 200) - 50;
    case 3: return [1e308, -1e308, 2 ** 53, -(2 ** 60), 0.5, -0][Math.floor(r() * 6)];
    case 4: return 'x'.repeat(Math.floor(r() * 300));
    case 5: return String.fromCharCode(...Array.from({ length: 8 }, () => Math.floor(r() * 0xffff)));
    case 6: return Array.from({ length: Math.floor(r() * 5) }, () => Math.floor(r() * 400));
    case 7: return Array.from({ length: Math.floor(r() * 300) }, (_, i) => `s${i}`);
    case 8: return depth < 3 ? { role: 'user', content: randomValue(r, depth + 1) } : {};
    case 9: return depth < 3 ? [randomValue(r, depth + 1), randomValue(r, depth + 1)] : [];
    case 10: return { type: ['text', 'json_schema', 'image_url'][Math.floor(r() * 3)] };
    case 11: return Math.floor(r() * 1e6);
    case 12: return [[1, 2], [3]];
    case 13: return '';
    default: return Math.floor(r() * 4);
  }
}

function mutate(r: () => number, body: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = JSON.parse(JSON.stringify(body));
  const edits = 1 + Math.floor(r() * 3);
  for (let i = 0; i < edits; i++) {
    const key = r() < 0.7 ? KEYS[Math.floor(r() * KEYS.length)] : `extra_${Math.floor(r() * 5)}`;
    if (r() < 0.25) delete out[key];
    else Object.defineProperty(out, key, { value: randomValue(r), enumerable: true, configurable: true, writable: true });
  }
  return out;
}

function corrupt(r: () => number, text: string): Uint8Array {
  const bytes = Buffer.from(text, 'utf8');
  switch (Math.floor(r() * 5)) {
    case 0: return bytes.subarray(0, Math.floor(r() * bytes.length)); // truncated
    case 1: { const b = Buffer.from(bytes); b[Math.floor(r() * b.length)] = Math.floor(r() * 256); return b; } // flipped byte
    case 2: return Buffer.concat([bytes.subarray(0, 20), Buffer.from([0xc3, 0x28, 0xff]), bytes.subarray(20)]); // invalid UTF-8
    case 3: return Buffer.from('['.repeat(5000 + Math.floor(r() * 20000))); // deep nesting
    default: return Buffer.from('x'.repeat(70 * 1024)); // over the body limit
  }
}

async function send(path: string, body: Uint8Array | string): Promise<number> {
  const res = await fetch(`${h.server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const text = await res.text(); // drain streams fully
  if (res.status !== 200) {
    const parsed = JSON.parse(text);
    expect(Object.keys(parsed.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  }
  return res.status;
}

const heapMiB = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
};

it('survives thousands of random and mutated bodies without 5xx, leaks or stuck requests', async () => {
  const valid = JSON.stringify(SEEDS[0][1]);
  for (let i = 0; i < 200; i++) await send('/v1/chat/completions', valid); // warm up JITs, pools and metric series
  h.engine.submitted.length = 0;
  const baseline = heapMiB();

  const statuses = new Map<number, number>();
  const r = rng(20260501);
  let next = 0;
  const worker = async () => {
    while (next < ROUNDS) {
      const i = next++;
      const [path, seedBody] = SEEDS[Math.floor(r() * SEEDS.length)];
      const body = r() < 0.15 ? corrupt(r, JSON.stringify(seedBody)) : JSON.stringify(mutate(r, seedBody));
      const status = await send(path, body);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      if (!ALLOWED.has(status)) throw new Error(`round ${i}: ${path} answered ${status} for ${String(body).slice(0, 300)}`);
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));

  expect(statuses.get(200)).toBeGreaterThan(100); // the mutations leave enough valid requests to exercise generation
  expect(statuses.get(400)).toBeGreaterThan(100);
  expect(statuses.get(413)).toBeGreaterThan(0);
  expect(h.engine.active.size).toBe(0);

  const ok = await fetch(`${h.server.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: valid });
  expect(ok.status).toBe(200);
  expect((await ok.json()).choices[0].message.content).toBe('Hello wo');

  // what the fakes record for assertions is test-side memory, not the server's
  h.engine.submitted.length = 0;
  h.engine.aborted.length = 0;
  h.logger.records.length = 0;
  const after = heapMiB();
  expect(after - baseline).toBeLessThan(16);
});
