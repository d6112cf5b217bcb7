/**
 * `npm run bench:dsv4` (flags: --quick, --bf16-experts): batch-1 decode and prefill throughput of the
 * DeepSeek-V4 model code on a random-weight checkpoint of a mid-size shape (tools/bench/dsv4/bench-config.ts:
 * hidden 2048, 8 layers, 64 routed experts; FP8-block dense + MXFP4 experts as DeepSeek ships them, or all
 * BF16 when the mxfp4 plugin is unavailable), loaded the production way (createPlexus → loadCheckpoint →
 * plexus.loadModel, KV pool from the KvPoolRegistry), next to this machine's roofline measured in the same
 * run: decode tok/s ≤ streaming read bandwidth ÷ weight bytes read per decoded token. Prints figures; it
 * asserts nothing. Each decode run is compared with the bandwidth probed just before it, so a busy shared
 * machine skews a run and its roofline together rather than the ratio.
 */
import { cpus, totalmem } from 'node:os';
import { createPlexus, silentLogger, type CausalLM, type Checkpoint } from '@plexus/core';
import { capabilities, getNumThreads } from '@plexus/native';
import { loadCheckpoint } from '../../core/src/model/index.ts';
import { MachineProbe } from './decode/machine-limits.ts';
import { formatTable, median } from './decode/stats.ts';
import { DSV4_BENCH_SHAPE, type ExpertFormat } from './dsv4/bench-config.ts';
import { Dsv4Timer } from './dsv4/model-timer.ts';
import { ensureDsv4Checkpoint } from './dsv4/random-checkpoint.ts';
import { tokenWeights } from './dsv4/weight-bytes.ts';

const args = new Set(process.argv.slice(2));
const QUICK = args.has('--quick');
const PROMPT_TOKENS = QUICK ? 256 : 512;
const PREFILL_RUNS = QUICK ? 1 : 2;
const DECODE_TOKENS = 16;
const DECODE_RUNS = QUICK ? 3 : 5;

const log = (line: string) => process.stderr.write(`${line}\n`);
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`;

async function main(): Promise<void> {
  const plexus = await createPlexus({ logger: silentLogger() });
  let checkpoint: Checkpoint | undefined;
  let model: CausalLM | undefined;
  let timer: Dsv4Timer | undefined;
  try {
    const mxfp4 = plexus.plugins().find((p) => p.manifest?.id === 'mxfp4');
    const experts: ExpertFormat = !args.has('--bf16-experts') && mxfp4?.status === 'loaded' ? 'mxfp4' : 'bf16';
    if (experts === 'bf16' && !args.has('--bf16-experts')) {
      log(`note: the mxfp4 plugin is ${mxfp4?.status ?? 'absent'}; benchmarking an all-BF16 checkpoint instead of FP8 dense + MXFP4 experts`);
    }
    const caps = capabilities();
    const machine = `${cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${getNumThreads()} threads, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ` +
      `${caps.avx2 && caps.fma && caps.f16c ? 'AVX2' : 'portable'} kernels`;
    log(`machine: ${machine}`);

    log('preparing the random DeepSeek-V4 checkpoint...');
    const dir = await ensureDsv4Checkpoint(experts, log);
    checkpoint = await loadCheckpoint(dir);
    log('loading it through the runtime...');
    model = await plexus.loadModel(checkpoint);
    const weights = tokenWeights(checkpoint.tensors, DSV4_BENCH_SHAPE.experts, DSV4_BENCH_SHAPE.topK);
    const bytesPerToken = weights.denseBytes + weights.expertBytes;

    const probe = new MachineProbe();
    timer = new Dsv4Timer(model, plexus.createKvPool.bind(plexus), PROMPT_TOKENS + 4 + DECODE_RUNS * DECODE_TOKENS);
    log(`warmup (KV pool '${timer.poolId}')...`);
    timer.prefill(64); // faults in the weight pages, grows the scratch buffers
    timer.decode(4);

    log(`prefill of ${PROMPT_TOKENS} tokens, ${PREFILL_RUNS} run(s)...`);
    const prefill: number[] = [];
    const peakShares: number[] = [];
    const fmaPeaks: number[] = [];
    for (let r = 0; r < PREFILL_RUNS; r++) {
      const peak = probe.fmaPeak(3);
      const tps = timer.prefill(PROMPT_TOKENS);
      fmaPeaks.push(peak);
      prefill.push(tps);
      peakShares.push((tps * 2 * weights.activeParams) / peak);
      log(`  run ${r + 1}: ${tps.toFixed(1)} tok/s at ${(peak / 1e9).toFixed(0)} GFLOP/s probe`);
    }

    log(`decode after the ${PROMPT_TOKENS}-token prompt: ${DECODE_RUNS} runs of ${DECODE_TOKENS} tokens after a warmup run...`);
    timer.decode(4);
    const decode: number[] = [];
    const bandwidths: number[] = [];
    const ratios: number[] = [];
    for (let r = 0; r < DECODE_RUNS; r++) {
      const bandwidth = probe.readBandwidth();
      const tps = timer.decode(DECODE_TOKENS);
      bandwidths.push(bandwidth);
      decode.push(tps);
      ratios.push(tps / (bandwidth / bytesPerToken));
      log(`  run ${r + 1}: ${tps.toFixed(2)} tok/s at ${(bandwidth / 1e9).toFixed(1)} GB/s probe`);
    }

    const bandwidth = median(bandwidths);
    const rows = plexus.kernels.resolutions()
      .filter((r) => /^dsv4|^mxfp4|^fp8|^matmul$/.test(r.op))
      .map((r) => `${r.op} → ${r.rowId}`);
    const s = DSV4_BENCH_SHAPE;
    console.log(`\nmachine: ${machine}`);
    console.log(`model: random DeepSeek-V4, hidden ${s.hidden}, ${s.layers} layers (ratios ${s.compressRatios.slice(0, s.layers).join(',')}), ` +
      `${s.heads}×${s.headDim} heads, ${s.experts} experts (top-${s.topK}) × ${s.moeIntermediate}, vocab ${s.vocab}; ` +
      `${experts === 'mxfp4' ? 'FP8-block dense + MXFP4 experts' : 'all BF16'} (${(checkpoint.tensors.totalBytes / 2 ** 30).toFixed(2)} GiB)`);
    console.log(`streaming read bandwidth (median of the probes): ${(bandwidth / 1e9).toFixed(1)} GB/s; FMA peak (median): ${(median(fmaPeaks) / 1e9).toFixed(0)} GFLOP/s (f32)`);
    console.log(`kernel rows: ${rows.join(', ')}\n`);
    console.log(formatTable(
      ['weight bytes/token (dense + active experts)', 'decode tok/s', 'roofline tok/s', '% of roofline', `prefill tok/s (${PROMPT_TOKENS})`, '% of FMA peak'],
      [[
        `${mb(bytesPerToken)} (${mb(weights.denseBytes)} + ${mb(weights.expertBytes)})`,
        median(decode).toFixed(2),
        (bandwidth / bytesPerToken).toFixed(2),
        `${(100 * median(ratios)).toFixed(0)}%`,
        median(prefill).toFixed(1),
        `${(100 * median(peakShares)).toFixed(0)}%`,
      ]],
    ));
    console.log('\nbytes/token: every dense tensor, the routed experts × top-k / experts, one embedding row (the model\'s own count: ' +
      `${mb(model.weightBytesPerToken)}); % of roofline: median over runs of decode tok/s ÷ (bandwidth probed just before that run ÷ bytes/token);`);
    console.log(`% of FMA peak: prefill FLOP/s counted as 2 × ${(weights.activeParams / 1e6).toFixed(0)} M active parameters per token (attention not counted) ÷ the FMA peak probed before that run`);
  } finally {
    timer?.dispose();
    model?.dispose();
    checkpoint?.tensors.close();
    plexus.dispose();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
