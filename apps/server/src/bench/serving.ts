/**
 * Serving benchmark (after sglang.bench_serving, random dataset): sends random-token prompts to a running
 * server's POST /generate (input_ids, ignore_eos, so output lengths are exact) with at most `maxConcurrency`
 * in flight, streams every response and reports throughput and TTFT / TPOT / ITL / E2E latency statistics.
 */
import { sseData } from './sse-lines.ts';
import { summarize, type Summary } from './percentiles.ts';
import { mulberry32 } from './seeded-random.ts';

export interface ServingBenchOptions {
  baseUrl: string;
  numPrompts: number;
  maxConcurrency: number;
  randomInputLen: number;
  randomOutputLen: number;
  seed: number;
  /** `model` sent with each request (default: the server's only model) */
  model?: string;
  /** token ids are drawn below this (default: the model card's vocab_size, else 1000) */
  vocabSize?: number;
  /** send Authorization: Bearer <apiKey> */
  apiKey?: string;
  /** one unmeasured request first, so lazy initialisation does not count (default true) */
  warmup?: boolean;
  /** stops the run: requests in flight are cut, the rest are not sent; both count as failed */
  signal?: AbortSignal;
}

/** times in milliseconds, throughputs per second */
export interface ServingBenchReport {
  baseUrl: string;
  model: string | undefined;
  numPrompts: number;
  maxConcurrency: number;
  randomInputLen: number;
  randomOutputLen: number;
  completed: number;
  failed: number;
  errors: string[];
  durationS: number;
  totalInputTokens: number;
  totalOutputTokens: number;
  requestThroughput: number;
  inputThroughput: number;
  outputThroughput: number;
  totalThroughput: number;
  /** mean requests in flight (sum of latencies / duration) */
  concurrency: number;
  ttftMs: Summary;
  tpotMs: Summary;
  itlMs: Summary;
  e2eMs: Summary;
}

interface RequestResult {
  ok: boolean;
  error?: string;
  promptLen: number;
  outputLen: number;
  ttft: number;
  latency: number;
  itls: number[];
}

export async function runServingBench(opts: ServingBenchOptions): Promise<ServingBenchReport> {
  checkOptions(opts);
  const baseUrl = opts.baseUrl.replace(/\/+$/, '');
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (opts.apiKey) headers.authorization = `Bearer ${opts.apiKey}`;
  const vocab = opts.vocabSize ?? (await discoverVocab(baseUrl, headers, opts.model));
  const random = mulberry32(opts.seed);
  const prompts = Array.from({ length: opts.numPrompts }, () =>
    Array.from({ length: opts.randomInputLen }, () => Math.floor(random() * vocab)),
  );
  const send = (inputIds: number[]) => sendOne(baseUrl, headers, opts, inputIds);
  if (opts.warmup ?? true) {
    const w = await send(prompts[0].slice(0, Math.min(16, prompts[0].length)));
    if (!w.ok) throw new Error(`warmup request failed: ${w.error}; is a server running at ${baseUrl}?`);
  }

  const results: RequestResult[] = [];
  let next = 0;
  const start = performance.now();
  const worker = async () => {
    while (next < prompts.length && !opts.signal?.aborted) {
      const i = next++;
      results[i] = await send(prompts[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.maxConcurrency, prompts.length) }, worker));
  const durationS = (performance.now() - start) / 1000;
  for (let i = 0; i < prompts.length; i++) {
    results[i] ??= { ok: false, error: 'not sent: the benchmark was stopped', promptLen: prompts[i].length, outputLen: 0, ttft: 0, latency: 0, itls: [] };
  }
  return buildReport(opts, baseUrl, results, durationS);
}

function checkOptions(o: ServingBenchOptions): void {
  for (const [k, v] of Object.entries({ numPrompts: o.numPrompts, maxConcurrency: o.maxConcurrency, randomInputLen: o.randomInputLen, randomOutputLen: o.randomOutputLen })) {
    if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`${k} must be a positive integer, got ${v}`);
  }
  if (!Number.isSafeInteger(o.seed)) throw new RangeError(`seed must be an integer, got ${o.seed}`);
}

async function discoverVocab(baseUrl: string, headers: Record<string, string>, model: string | undefined): Promise<number> {
  try {
    const res = await fetch(`${baseUrl}/v1/models`, { headers });
    const body = (await res.json()) as { data?: Array<{ id: string; vocab_size?: number }> };
    const card = body.data?.find((m) => model === undefined || m.id === model);
    if (card?.vocab_size && card.vocab_size > 0) return card.vocab_size;
  } catch {
    // fall through to the default: a server without model cards still gets benchmarked
  }
  return 1000;
}

async function sendOne(baseUrl: string, headers: Record<string, string>, opts: ServingBenchOptions, inputIds: number[]): Promise<RequestResult> {
  const body = {
    ...(opts.model ? { model: opts.model } : {}),
    input_ids: inputIds,
    sampling_params: { max_new_tokens: opts.randomOutputLen, ignore_eos: true, temperature: 0 },
    stream: true,
  };
  const result: RequestResult = { ok: false, promptLen: inputIds.length, outputLen: 0, ttft: 0, latency: 0, itls: [] };
  const t0 = performance.now();
  try {
    const res = await fetch(`${baseUrl}/generate`, { method: 'POST', headers, body: JSON.stringify(body), ...(opts.signal ? { signal: opts.signal } : {}) });
    if (!res.ok || !res.body) {
      result.error = `HTTP ${res.status}: ${(await res.text()).slice(0, 300)}`;
      return result;
    }
    let last = t0;
    for await (const data of sseData(res.body)) {
      if (data === '[DONE]') break;
      const chunk = JSON.parse(data) as { error?: { message: string }; output_ids?: number[]; meta_info?: { completion_tokens?: number } };
      if (chunk.error) {
        result.error = chunk.error.message;
        return result;
      }
      const now = performance.now();
      const tokens = chunk.meta_info?.completion_tokens ?? result.outputLen + (chunk.output_ids?.length ?? 0);
      if (tokens > result.outputLen) {
        if (result.outputLen === 0) result.ttft = now - t0;
        else result.itls.push(now - last);
        result.outputLen = tokens;
        last = now;
      }
    }
    result.latency = performance.now() - t0;
    result.ok = result.outputLen > 0;
    if (!result.ok) result.error = 'no output tokens';
  } catch (err) {
    result.error = err instanceof Error ? err.message : String(err);
  }
  return result;
}

function buildReport(opts: ServingBenchOptions, baseUrl: string, results: RequestResult[], durationS: number): ServingBenchReport {
  const ok = results.filter((r) => r.ok);
  const totalInputTokens = ok.reduce((s, r) => s + r.promptLen, 0);
  const totalOutputTokens = ok.reduce((s, r) => s + r.outputLen, 0);
  const tpots = ok.filter((r) => r.outputLen > 1).map((r) => (r.latency - r.ttft) / (r.outputLen - 1));
  return {
    baseUrl,
    model: opts.model,
    numPrompts: opts.numPrompts,
    maxConcurrency: opts.maxConcurrency,
    randomInputLen: opts.randomInputLen,
    randomOutputLen: opts.randomOutputLen,
    completed: ok.length,
    failed: results.length - ok.length,
    errors: [...new Set(results.filter((r) => !r.ok).map((r) => r.error ?? 'unknown error'))].slice(0, 10),
    durationS,
    totalInputTokens,
    totalOutputTokens,
    requestThroughput: ok.length / durationS,
    inputThroughput: totalInputTokens / durationS,
    outputThroughput: totalOutputTokens / durationS,
    totalThroughput: (totalInputTokens + totalOutputTokens) / durationS,
    concurrency: ok.reduce((s, r) => s + r.latency, 0) / 1000 / durationS,
    ttftMs: summarize(ok.map((r) => r.ttft)),
    tpotMs: summarize(tpots),
    itlMs: summarize(ok.flatMap((r) => r.itls)),
    e2eMs: summarize(ok.map((r) => r.latency)),
  };
}

/** the report as sglang.bench_serving prints it */
export function formatServingReport(r: ServingBenchReport): string {
  const line = (label: string, value: string | number) => `${label.padEnd(40)}${String(value).padStart(14)}`;
  const f2 = (x: number) => x.toFixed(2);
  const section = (title: string) => title.padStart(27 + Math.ceil(title.length / 2), '-').padEnd(54, '-');
  const latency = (name: string, s: Summary) => [
    line(`Mean ${name} (ms):`, f2(s.mean)),
    line(`Median ${name} (ms):`, f2(s.median)),
    line(`P99 ${name} (ms):`, f2(s.p99)),
  ];
  return [
    ' Serving Benchmark Result '.padStart(40, '=').padEnd(54, '='),
    line('Backend:', 'plexus /generate'),
    line('Max request concurrency:', r.maxConcurrency),
    line('Random input / output len:', `${r.randomInputLen} / ${r.randomOutputLen}`),
    line('Successful requests:', r.completed),
    line('Failed requests:', r.failed),
    line('Benchmark duration (s):', f2(r.durationS)),
    line('Total input tokens:', r.totalInputTokens),
    line('Total generated tokens:', r.totalOutputTokens),
    line('Request throughput (req/s):', f2(r.requestThroughput)),
    line('Input token throughput (tok/s):', f2(r.inputThroughput)),
    line('Output token throughput (tok/s):', f2(r.outputThroughput)),
    line('Total token throughput (tok/s):', f2(r.totalThroughput)),
    line('Concurrency:', f2(r.concurrency)),
    section('End-to-End Latency'),
    ...latency('E2E Latency', r.e2eMs),
    section('Time to First Token'),
    ...latency('TTFT', r.ttftMs),
    section('Time per Output Token (excl. 1st token)'),
    ...latency('TPOT', r.tpotMs),
    section('Inter-Token Latency'),
    ...latency('ITL', r.itlMs),
    '='.repeat(54),
    ...(r.errors.length ? ['Errors:', ...r.errors.map((e) => `  ${e}`)] : []),
  ].join('\n');
}

export function printServingReport(r: ServingBenchReport, write: (s: string) => void = (s) => process.stdout.write(`${s}\n`)): void {
  write(formatServingReport(r));
}
