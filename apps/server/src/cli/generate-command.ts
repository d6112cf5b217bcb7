/**
 * `plexus generate`: one generation in-process (Engine, no worker), through the same runtime path as
 * the server (ModelRegistry, KvPoolRegistry, engine-scope hooks). Streams the text to stdout, or with
 * --json prints exactly one object {input_ids, output_ids, text, finish_reason, logprobs}.
 */
import { InvalidArgumentError, PlexusError, type SamplingParams, type TextTokenizer, type TokenLogprob } from '@plexus/core';
import { createRuntimeEngineParts, Engine, loadTokenizer, streamText, type EngineOptions, type RuntimeEngineParts } from '@plexus/core/internal';
import type { CliCommand, CliIO } from './cli-io.ts';
import { GENERATE_USAGE, parseGenerateFlags, type GenerateOptions } from './generate/generate-options.ts';
import { toGenerateJson } from './generate/generate-result.ts';
import { resolveGenerateSampling } from './generate/generate-sampling.ts';
import { checkIdsInVocab, promptIds } from './generate/prompt-ids.ts';
import { preflightModel, usableEosIds } from './model-preflight.ts';
import { resolveModelPath } from './model-path.ts';
import { buildRuntime } from './runtime-flags.ts';
import { readServerEnv } from './server-env.ts';

const BLOCK_SIZE = 16;
/** exit code of a run stopped by Ctrl-C (128 + SIGINT) */
const INTERRUPTED = 130;

export const generateCommand: CliCommand = {
  name: 'generate',
  summary: 'generate from a prompt in-process (--json: ids, text, finish reason, logprobs)',
  usage: GENERATE_USAGE,
  async run(argv, io) {
    const opts = parseGenerateFlags(argv);
    const plexus = await buildRuntime({ plugin: opts.plugin, 'strict-env': opts.strictEnv });
    let parts: RuntimeEngineParts | undefined;
    let engine: Engine | undefined;
    try {
      const dir = resolveModelPath(opts.modelPath, readServerEnv(plexus.envSnapshot()).modelPath);
      const preflight = await preflightModel(plexus, dir);
      const tokenizer = await loadTokenizer(dir);
      const inputIds = promptIds(opts.input, tokenizer);
      const sampling = resolveGenerateSampling(opts.sampling, preflight.generation, { topLogprobs: opts.topLogprobs, returnLogprob: opts.json });
      const needed = inputIds.length + sampling.maxNewTokens;
      if (preflight.maxPositions !== undefined && needed > preflight.maxPositions) throw contextError(inputIds.length, sampling.maxNewTokens, preflight.maxPositions);
      // a pool for exactly this request: one sequence, prompt + new tokens
      const engineOptions: EngineOptions = {
        blockSize: BLOCK_SIZE,
        maxTotalTokens: Math.ceil(needed / BLOCK_SIZE) * BLOCK_SIZE,
        maxRunningRequests: 1,
        eosTokenIds: usableEosIds(preflight),
      };
      parts = await createRuntimeEngineParts(plexus, dir, { engine: engineOptions });
      const { model } = parts;
      if (opts.input.kind === 'input-ids') checkIdsInVocab(inputIds, model.vocabSize);
      if (needed > model.maxContextLength) throw contextError(inputIds.length, sampling.maxNewTokens, model.maxContextLength);
      try {
        engine = new Engine({ model, createKvPool: parts.createKvPool, kvBytesPerBlock: parts.kvBytesPerBlock, hooks: parts.hooks, logger: parts.logger }, engineOptions);
      } catch (e) {
        model.dispose();
        throw e;
      }
      return await generate(engine, tokenizer, inputIds, sampling, opts, io);
    } finally {
      if (engine) await engine.shutdown({ deadlineMs: 0 });
      parts?.dispose();
      plexus.dispose();
    }
  },
};

async function generate(
  engine: Engine,
  tokenizer: TextTokenizer,
  inputIds: number[],
  sampling: SamplingParams,
  opts: GenerateOptions,
  io: CliIO,
): Promise<number> {
  const interrupt = new AbortController();
  const onSigint = () => interrupt.abort();
  process.once('SIGINT', onSigint);
  const outputIds: number[] = [];
  const logprobs: TokenLogprob[] = [];
  let text = '';
  let finishReason: 'stop' | 'length' | 'abort' = 'abort';
  try {
    const events = streamText(engine, tokenizer, { id: 'generate', inputIds, sampling, stop: [], skipSpecialTokens: true }, interrupt.signal);
    for await (const e of events) {
      if (e.type === 'delta') {
        text += e.text;
        outputIds.push(...e.tokenIds);
        if (e.logprobs) logprobs.push(...e.logprobs);
        if (!opts.json && e.text) io.write(e.text);
      } else if (e.type === 'done') {
        finishReason = e.finishReason;
      } else {
        throw e.error.name === 'InvalidArgumentError' ? new InvalidArgumentError(e.error.message) : new PlexusError(`${e.error.name}: ${e.error.message}`);
      }
    }
  } finally {
    process.off('SIGINT', onSigint);
  }
  if (finishReason === 'abort') {
    if (!opts.json) io.write('\n');
    io.err('plexus generate: interrupted');
    return INTERRUPTED;
  }
  if (opts.json) io.out(JSON.stringify(toGenerateJson(inputIds, outputIds, text, finishReason, logprobs)));
  else io.write(text.endsWith('\n') ? '' : '\n');
  return 0;
}

function contextError(promptTokens: number, maxNewTokens: number, context: number): InvalidArgumentError {
  return new InvalidArgumentError(
    `the prompt has ${promptTokens} tokens and --max-new-tokens is ${maxNewTokens}: ${promptTokens + maxNewTokens} positions, ` +
      `but the model supports ${context}; shorten the prompt or lower --max-new-tokens`,
    'max-new-tokens',
  );
}
