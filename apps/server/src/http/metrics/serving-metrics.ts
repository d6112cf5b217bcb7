/**
 * Prometheus metrics for one app: its own Registry (several apps in one process never collide),
 * `plexus:` names after vLLM's, a `model_name` label on every series. Gauges read engine.stats() at scrape time.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { EngineClient, EngineStats, FinishReason } from '@plexus/core';

const TTFT_BUCKETS = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80, 160, 640];
const ITL_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80];
const E2E_BUCKETS = [0.05, 0.1, 0.3, 0.5, 0.8, 1, 1.5, 2, 2.5, 5, 10, 15, 20, 30, 40, 50, 60, 120, 240, 480, 960, 1920];

/** Per-request observations, fed by the generation fan-out. */
export interface RequestObserver {
  /** a delta with `tokens` new tokens arrived */
  tokens(tokens: number): void;
  finished(reason: FinishReason, promptTokens: number, completionTokens: number): void;
  failed(): void;
}

export interface ServingMetrics {
  readonly registry: Registry;
  startRequest(): RequestObserver;
  /** Prometheus text exposition */
  render(): Promise<string>;
}

export function createServingMetrics(modelName: string, engine: EngineClient | undefined): ServingMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ model_name: modelName });
  const registers = [registry];

  const ttft = new Histogram({ name: 'plexus:time_to_first_token_seconds', help: 'Time to first token.', buckets: TTFT_BUCKETS, registers });
  const itl = new Histogram({ name: 'plexus:inter_token_latency_seconds', help: 'Time between consecutive output tokens.', buckets: ITL_BUCKETS, registers });
  const e2e = new Histogram({ name: 'plexus:e2e_request_latency_seconds', help: 'End-to-end request latency.', buckets: E2E_BUCKETS, registers });
  const promptTokens = new Counter({ name: 'plexus:prompt_tokens_total', help: 'Prefill tokens processed.', registers });
  const generationTokens = new Counter({ name: 'plexus:generation_tokens_total', help: 'Generation tokens produced.', registers });
  const success = new Counter({
    name: 'plexus:request_success_total',
    help: 'Finished requests by finish reason.',
    labelNames: ['finished_reason'],
    registers,
  });
  const failures = new Counter({ name: 'plexus:request_failure_total', help: 'Requests that ended with an error.', registers });

  // engine-owned numbers are read at scrape time: gauges are set, cumulative stats become counter increments
  const readStats = (): EngineStats | undefined => {
    try {
      return engine?.stats();
    } catch {
      return undefined;
    }
  };
  const gauge = (name: string, help: string, pick: (s: EngineStats) => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        const s = readStats();
        this.set(s ? pick(s) : 0);
      },
    });
  gauge('plexus:num_requests_running', 'Requests in the running batch.', (s) => s.running);
  gauge('plexus:num_requests_waiting', 'Requests waiting to be admitted.', (s) => s.waiting);
  gauge('plexus:kv_cache_usage_perc', 'KV cache usage (0..1).', (s) => s.kvUsage);
  const cumulative = (name: string, help: string, pick: (s: EngineStats) => number) => {
    let seen = 0;
    return new Counter({
      name,
      help,
      registers,
      collect() {
        const s = readStats();
        if (!s) return;
        const now = pick(s);
        if (now > seen) this.inc(now - seen);
        seen = Math.max(seen, now);
      },
    });
  };
  cumulative('plexus:prefix_cache_queries_total', 'Prefix cache queries (as the engine counts them).', (s) => s.prefixQueries);
  cumulative('plexus:prefix_cache_hits_total', 'Prefix cache hits (as the engine counts them).', (s) => s.prefixHits);

  return {
    registry,
    startRequest(): RequestObserver {
      const start = performance.now();
      let lastTokenAt: number | undefined;
      return {
        tokens(n) {
          if (n <= 0) return;
          const now = performance.now();
          if (lastTokenAt === undefined) {
            ttft.observe((now - start) / 1000);
            for (let i = 1; i < n; i++) itl.observe(0);
          } else {
            const each = (now - lastTokenAt) / 1000 / n;
            for (let i = 0; i < n; i++) itl.observe(each);
          }
          lastTokenAt = now;
        },
        finished(reason, prompt, completion) {
          e2e.observe((performance.now() - start) / 1000);
          promptTokens.inc(prompt);
          generationTokens.inc(completion);
          success.inc({ finished_reason: reason });
        },
        failed() {
          failures.inc();
        },
      };
    },
    render: () => registry.metrics(),
  };
}
