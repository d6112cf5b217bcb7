/** `plexus bench serving --base-url URL …`: the serving benchmark against a running server (sglang.bench_serving style). */
import { InvalidArgumentError } from '@plexus/core';
import { formatServingReport, runServingBench } from '../bench/serving.ts';
import type { CliCommand } from './cli-io.ts';
import { parseFlags, parseIntFlag } from './parse-flags.ts';

const usage = 'plexus bench serving --base-url <url> [--num-prompts 100] [--max-concurrency 8] [--random-input-len 256] ' +
  '[--random-output-len 64] [--seed 0] [--model <id>] [--api-key <key>] [--json]';

const FLAGS = {
  'base-url': { type: 'string' },
  'num-prompts': { type: 'string' },
  'max-concurrency': { type: 'string' },
  'random-input-len': { type: 'string' },
  'random-output-len': { type: 'string' },
  seed: { type: 'string' },
  model: { type: 'string' },
  'api-key': { type: 'string' },
  json: { type: 'boolean', default: false },
} as const;

export const benchCommand: CliCommand = {
  name: 'bench',
  summary: 'benchmarks: `bench serving` measures a running server (throughput, TTFT, TPOT)',
  usage,
  async run(argv, io) {
    const [kind, ...rest] = argv;
    if (kind !== 'serving') throw new InvalidArgumentError(`unknown benchmark '${kind ?? ''}' (available: serving)\nusage: ${usage}`);
    const flags = parseFlags(rest, FLAGS, usage);
    const baseUrl = flags['base-url'];
    if (!baseUrl || !/^https?:\/\//.test(baseUrl)) throw new InvalidArgumentError(`--base-url must be an http(s) URL of a running server\nusage: ${usage}`, 'base-url');
    const report = await runServingBench({
      baseUrl: baseUrl.replace(/\/+$/, ''),
      numPrompts: parseIntFlag('num-prompts', flags['num-prompts'], 100),
      maxConcurrency: parseIntFlag('max-concurrency', flags['max-concurrency'], 8),
      randomInputLen: parseIntFlag('random-input-len', flags['random-input-len'], 256),
      randomOutputLen: parseIntFlag('random-output-len', flags['random-output-len'], 64),
      seed: parseIntFlag('seed', flags.seed, 0, 0),
      ...(flags.model ? { model: flags.model } : {}),
      ...(flags['api-key'] ? { apiKey: flags['api-key'] } : {}),
    });
    io.out(flags.json ? JSON.stringify(report, null, 2) : formatServingReport(report));
    return report.failed > 0 && report.completed === 0 ? 1 : 0;
  },
};
