/**
 * End to end: `plexus serve` spawned through the installed bin shim, serving the embedded default model
 * (no --model-path), driven with the official `openai` client; then SIGTERM while a request is in flight.
 * Also: a disabled architecture makes serve fail with the toggle named.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'apps', 'server', 'src', 'bin', 'plexus.js');
const API_KEY = 'e2e-secret';
const MODEL = 'tiny';

/** no PLEXUS_* from the caller leaks in */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PLEXUS_')));
  return { ...base, ...extra };
}

interface Served {
  child: ChildProcessWithoutNullStreams;
  stderr: () => string;
  exit: Promise<number | null>;
}

function spawnServe(args: string[], env: Record<string, string>): Served {
  const child = spawn(process.execPath, [BIN, 'serve', ...args], { cwd: path.join(ROOT, 'apps'), env: cleanEnv(env) });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  child.stdout.resume();
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, stderr: () => err, exit };
}

/** the URL from the startup log line, as soon as the listener is up (the model may still be loading) */
async function listeningUrl(s: Served, timeoutMs = 30_000): Promise<string> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    for (const line of s.stderr().split('\n')) {
      if (!line.startsWith('{')) continue;
      const rec = JSON.parse(line) as { url?: string; msg?: string };
      if (rec.url && rec.msg?.startsWith('listening')) return rec.url;
    }
    if (s.child.exitCode !== null) throw new Error(`serve exited early (${s.child.exitCode}): ${s.stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`serve did not start listening: ${s.stderr()}`);
}

async function waitHealthy(url: string, timeoutMs = 30_000): Promise<number[]> {
  const seen: number[] = [];
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const status = (await fetch(`${url}/health`)).status;
    seen.push(status);
    if (status === 200) return seen;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`/health never became 200 (saw ${seen.join(',')})`);
}

describe('plexus serve with the embedded model', () => {
  let served: Served;
  let url: string;
  let client: OpenAI;

  beforeAll(async () => {
    served = spawnServe(
      ['--host', '127.0.0.1', '--port', '0', '--served-model-name', MODEL, '--kv-cache-memory', '64MiB', '--shutdown-timeout', '1'],
      // the key comes from its declared env var; the flags above cover the rest
      { PLEXUS_API_KEY: API_KEY, PLEXUS_LOG_LEVEL: 'info' },
    );
    url = await listeningUrl(served);
    const seen = await waitHealthy(url);
    expect(seen.every((s) => s === 503 || s === 200)).toBe(true);
    client = new OpenAI({ baseURL: `${url}/v1`, apiKey: API_KEY, maxRetries: 0 });
  });
  afterAll(() => {
    if (served.child.exitCode === null) served.child.kill('SIGKILL');
  });

  it('logs its startup: plugins, checkpoint, model, KV pool size, listening URL', () => {
    const messages = served.stderr().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    const find = (msg: string) => messages.find((m) => m['msg'] === msg);
    expect(find('plugins loaded')).toMatchObject({ loaded: expect.arrayContaining(['llama']) });
    expect(find('loading checkpoint')).toMatchObject({ modelPath: path.join(ROOT, 'models', 'plexus-tiny-qwen3') });
    expect(find('building the model')).toMatchObject({ architecture: 'Qwen3ForCausalLM' });
    // 64 MiB of float32 K+V for 2 layers x 2 kv heads x head_dim 16 = 512 bytes per token
    expect(find('KV pool ready')).toMatchObject({ tokens: (64 * 2 ** 20) / 512 });
    expect(find('model loaded; serving')).toMatchObject({ kvPoolTokens: (64 * 2 ** 20) / 512 });
    expect(served.stderr()).toContain(`plexus listening on ${url}`);
  });

  it('refuses requests without the API key from PLEXUS_API_KEY', async () => {
    const res = await fetch(`${url}/v1/models`);
    expect(res.status).toBe(401);
  });

  it('lists the model with max_model_len', async () => {
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual([MODEL]);
    // Qwen3's 40960 positions; the 131072-token pool does not cap it
    expect((models.data[0] as unknown as { max_model_len: number }).max_model_len).toBe(40960);
  });

  it('chat completions, not streamed: greedy and deterministic, length-limited', async () => {
    const ask = () => client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'Hello!' }], max_tokens: 6, temperature: 0 });
    const [a, b] = await Promise.all([ask(), ask()]);
    expect(a.choices[0]!.finish_reason).toBe('length');
    expect(a.usage!.completion_tokens).toBe(6);
    expect(a.usage!.prompt_tokens).toBeGreaterThan(5);
    expect(a.choices[0]!.message.content).toBe(b.choices[0]!.message.content);
    expect(a.choices[0]!.message.content!.length).toBeGreaterThan(0);
  });

  it('chat completions, streamed: role first, text deltas, finish_reason, usage chunk', async () => {
    const stream = await client.chat.completions.create({
      model: MODEL, messages: [{ role: 'user', content: 'Hello!' }], max_tokens: 6, temperature: 0, stream: true, stream_options: { include_usage: true },
    });
    let role: string | undefined;
    let text = '';
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      if (chunk.choices.length === 0) usage = chunk.usage;
      for (const c of chunk.choices) {
        role ??= c.delta.role;
        text += c.delta.content ?? '';
        finish = c.finish_reason ?? finish;
      }
    }
    const plain = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'Hello!' }], max_tokens: 6, temperature: 0 });
    expect(role).toBe('assistant');
    expect(finish).toBe('length');
    expect(usage!.completion_tokens).toBe(6);
    expect(text).toBe(plain.choices[0]!.message.content);
  });

  it('completions with logprobs', async () => {
    const r = await client.completions.create({ model: MODEL, prompt: 'The sea is', max_tokens: 4, temperature: 0, logprobs: 2 });
    expect(r.choices[0]!.finish_reason).toBe('length');
    expect(r.usage!.completion_tokens).toBe(4);
    expect(r.choices[0]!.logprobs!.token_logprobs!.length).toBe(4);
    expect(r.choices[0]!.logprobs!.token_logprobs!.every((l) => l !== null && l <= 0)).toBe(true);
  });

  it('/metrics exposes the plexus: series for the served model', async () => {
    const res = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${API_KEY}` } });
    expect(res.status).toBe(200);
    const text = await res.text();
    for (const name of ['time_to_first_token_seconds', 'generation_tokens_total', 'prompt_tokens_total', 'num_requests_running', 'kv_cache_usage_perc']) {
      expect(text).toMatch(new RegExp(`^plexus:${name}\\S*\\{[^}]*model_name="${MODEL}"`, 'm'));
    }
    const generated = /^plexus:generation_tokens_total\{[^}]*\} (\d+)/m.exec(text);
    expect(Number(generated![1])).toBeGreaterThanOrEqual(6 + 6 + 6 + 6 + 4);
  });

  it('SIGTERM ends an in-flight stream within --shutdown-timeout and exits 0', async () => {
    // ignore_eos (SGLang/vLLM extra): keeps going past EOS so the request is still running at SIGTERM
    const body = { model: MODEL, messages: [{ role: 'user', content: 'Tell me a long story.' }], max_tokens: 30_000, temperature: 0, stream: true, ignore_eos: true };
    const stream = await client.chat.completions.create(body as OpenAI.ChatCompletionCreateParamsStreaming);
    const started = Date.now();
    let chunks = 0;
    let signalled = false;
    let streamError: unknown;
    try {
      for await (const chunk of stream) {
        chunks += chunk.choices.length;
        if (!signalled && chunks >= 3) {
          signalled = true;
          served.child.kill('SIGTERM');
        }
      }
    } catch (e) {
      // the connection may be cut at the deadline: acceptable, the point is that nothing hangs
      streamError = e;
    }
    expect(signalled).toBe(true);
    expect(await served.exit).toBe(0);
    // 1 s deadline + shutdown work; far below the time 30k tokens would take
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(served.stderr()).toContain('shutting down');
    void streamError;
  });
});

describe('plexus serve with a disabled architecture', () => {
  it('fails at startup naming the architecture, its plugin and the toggle', async () => {
    const s = spawnServe(['--port', '0'], { PLEXUS_DISABLED_MODEL_ARCHS: 'Qwen3ForCausalLM', PLEXUS_LOG_LEVEL: 'warn' });
    expect(await s.exit).toBe(1);
    expect(s.stderr()).toMatch(/ModelNotSupportedError: architecture Qwen3ForCausalLM \(plugin 'llama'\) is disabled by PLEXUS_DISABLED_MODEL_ARCHS/);
  });
});

describe('plexus serve with a flag the engine refuses', () => {
  it('exits 2 (bad input) with the engine worker\'s message', async () => {
    const s = spawnServe(['--port', '0', '--context-length', '999999999'], { PLEXUS_LOG_LEVEL: 'silent' });
    expect(await s.exit).toBe(2);
    expect(s.stderr()).toMatch(/plexus serve: --context-length 999999999 exceeds the model's maximum of 40960 positions/);
  });
});
