/**
 * `npm run bench:decode`: batch-1 decode and prefill throughput of the dense Llama-family model code on
 * random-weight BF16 checkpoints with real model shapes, next to this machine's roofline measured in
 * the same run. Prints figures; it is not a pass/fail test (target: decode >= 80% of roofline).
 *
 * Bandwidth probes are interleaved with the decode runs and each run is compared with the probe just
 * before it, so a busy shared machine skews a run and its roofline together rather than the ratio.
 */
import { cpus, totalmem } from 'node:os';
import { capabilities, getNumThreads, nativeOps } from '@plexus/native';
import { loadCheckpoint } from '../../core/src/model/index.ts';
import { createDenseModel } from '../../plugins/llama/src/model/index.ts';
import { BENCH_MODELS } from './decode/bench-models.ts';
import { MachineProbe } from './decode/machine-limits.ts';
import { denseShape, ModelTimer, prefillFlops } from './decode/model-timing.ts';
import { ensureRandomCheckpoint } from './decode/random-checkpoint.ts';
import { formatTable, median } from './decode/stats.ts';

const PROMPT_TOKENS = 16;
const DECODE_TOKENS = 32;
const DECODE_RUNS = 5;
const PREFILL_TOKENS = 256;
const PREFILL_RUNS = 3;

async function main(): Promise<void> {
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const caps = capabilities();
  const variant = caps.avx2 && caps.fma && caps.f16c ? 'optimized' : 'portable';
  const ops = nativeOps(variant);
  const machine = `${cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${getNumThreads()} threads, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ${variant} kernels`;
  log(`machine: ${machine}`);

  const probe = new MachineProbe();
  const bandwidths: number[] = [];
  const fmaPeaks: number[] = [];
  const rows: string[][] = [];
  for (const spec of BENCH_MODELS) {
    log(`${spec.name}: preparing the random BF16 checkpoint...`);
    const dir = await ensureRandomCheckpoint(spec, log);
    const checkpoint = await loadCheckpoint(dir);
    const model = createDenseModel(checkpoint, ops);
    const timer = new ModelTimer(model, ops, Math.max(PROMPT_TOKENS + DECODE_TOKENS, PREFILL_TOKENS));
    try {
      log(`${spec.name}: decode, ${DECODE_RUNS} runs of ${DECODE_TOKENS} tokens after a warmup run...`);
      timer.decodeRun(PROMPT_TOKENS, 4); // faults in every weight page, grows the scratch buffers
      const decode: number[] = [];
      const ratios: number[] = [];
      for (let r = 0; r < DECODE_RUNS; r++) {
        const bandwidth = probe.readBandwidth();
        const tokensPerSecond = timer.decodeRun(PROMPT_TOKENS, DECODE_TOKENS);
        bandwidths.push(bandwidth);
        decode.push(tokensPerSecond);
        ratios.push(tokensPerSecond / (bandwidth / model.weightBytesPerToken));
        log(`  run ${r + 1}: ${tokensPerSecond.toFixed(2)} tok/s at ${(bandwidth / 1e9).toFixed(1)} GB/s probe`);
      }
      log(`${spec.name}: prefill of ${PREFILL_TOKENS} tokens, ${PREFILL_RUNS} runs...`);
      timer.prefillRun(PREFILL_TOKENS);
      const flopsPerToken = prefillFlops(denseShape(spec.config), PREFILL_TOKENS) / PREFILL_TOKENS;
      const prefill: number[] = [];
      const peakShares: number[] = [];
      for (let r = 0; r < PREFILL_RUNS; r++) {
        const peak = probe.fmaPeak(3);
        const tokensPerSecond = timer.prefillRun(PREFILL_TOKENS);
        fmaPeaks.push(peak);
        prefill.push(tokensPerSecond);
        peakShares.push((tokensPerSecond * flopsPerToken) / peak);
        log(`  run ${r + 1}: ${tokensPerSecond.toFixed(1)} tok/s at ${(peak / 1e9).toFixed(0)} GFLOP/s probe`);
      }
      const bandwidth = median(bandwidths.slice(-DECODE_RUNS));
      rows.push([
        spec.name,
        `${(model.weightBytesPerToken / 1e6).toFixed(0)} MB`,
        median(decode).toFixed(2),
        (bandwidth / model.weightBytesPerToken).toFixed(2),
        `${(100 * median(ratios)).toFixed(0)}%`,
        median(prefill).toFixed(1),
        `${(100 * median(peakShares)).toFixed(0)}%`,
      ]);
    } finally {
      timer.dispose();
      model.dispose();
      checkpoint.tensors.close();
    }
  }

  console.log(`\nmachine: ${machine}`);
  console.log(`streaming read bandwidth (median of the probes): ${(median(bandwidths) / 1e9).toFixed(1)} GB/s; FMA peak (median): ${(median(fmaPeaks) / 1e9).toFixed(0)} GFLOP/s (f32)\n`);
  console.log(formatTable(
    ['model (bf16, random)', 'weight bytes/token', 'decode tok/s', 'roofline tok/s', '% of roofline', `prefill tok/s (${PREFILL_TOKENS})`, '% of FMA peak'],
    rows,
  ));
  console.log('\n% of roofline: median over runs of decode tok/s ÷ (bandwidth probed just before that run ÷ bytes/token);');
  console.log('% of FMA peak: median over runs of prefill FLOP/s (2 × linear weights × tokens + causal attention) ÷ the FMA peak probed just before that run');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
