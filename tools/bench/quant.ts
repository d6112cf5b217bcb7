/**
 * Quantized GEMV benchmark: `npm run bench:quant` (flags: --quick, --portable).
 * MXFP4 and FP8 matmul at decode shapes (2048×4096, 4096×2048; batch 1 and 8), and the MXFP4 experts of one
 * DeepSeek-V4-like MoE layer (6 of 64 experts, hidden 2048, intermediate 1024; 1 and 4 tokens). Prints the packed weight
 * bytes read per second (codes + scales) and their ratio to this machine's streaming-read bandwidth,
 * measured in the same run with the addon's own pool, plus GFLOP/s against the measured FMA peak (batch 8
 * is compute bound on small machines), and a BF16 GEMV row as a plain streaming kernel for comparison.
 * Each call reads a different copy of the weights, and the copies together far exceed the last-level cache,
 * so every byte really comes from memory. Each repetition runs every kernel once after a streaming-read
 * probe; "% of stream" is the median over repetitions of the kernel's bandwidth ÷ its own repetition's probe
 * (so a neighbour's load on a shared machine skews both sides of a ratio together). µs/call and GB/s are
 * the best repetition.
 * Asserts nothing.
 */
import { capabilities, getNumThreads, loadBinding, nativeOps, quantOps, Tensor, type KernelVariant } from '@plexus/native';
import { formatTable, median } from './decode/stats.ts';

const args = new Set(process.argv.slice(2));
const QUICK = args.has('--quick');
const VARIANTS: KernelVariant[] = args.has('--portable') ? ['optimized', 'portable'] : ['optimized'];
const REPS = QUICK ? 3 : 7;
const WORKING_SET = (QUICK ? 160 : 320) * 2 ** 20; // bytes of weights cycled through per pass: ≫ L3

const binding = loadBinding();
const caps = capabilities();

/** best of `reps` timed runs after one warm-up, in ms */
function timeMs(fn: () => void, reps: number): number {
  fn();
  let best = Infinity;
  for (let i = 0; i < reps; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return best;
}

/** xorshift32 bytes: fast enough for hundreds of MiB */
function randomBytes(n: number, seed: number, mask = 0xff): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    out[i] = s & mask;
  }
  return out;
}

// ---- limits measured in this run, before and after the kernels (the better one is the limit)
const stream = new Float32Array(128 * 2 ** 20).fill(1); // 512 MiB
const measureFma = () => {
  if (!(caps.avx2 && caps.fma)) return NaN;
  let flops = 0;
  const ms = timeMs(() => { flops = binding.fmaPeakRun(20_000_000); }, 3);
  return flops / (ms * 1e6);
};
const streamRuns: number[] = [];
const fmaRuns = [measureFma()];

interface Row { kernel: string; path: string; shape: string; batch: number; us: number; gbs: number; gflops: number; ratio: number }
const rows: Row[] = [];

/** one benchmarked kernel over a shape: `pass(M)` runs it once over every weight copy */
interface Case { kernel: string; path: string; bytes: number; copies: number; pass(M: number, x: Float32Array, out: Float32Array): void }

function mxfp4Case(variant: KernelVariant, N: number, K: number): Case {
  const bytes = N * (K / 2) + N * (K / 32);
  const copies = Math.max(4, Math.ceil(WORKING_SET / bytes));
  const mats = Array.from({ length: copies }, (_, c) => ({
    codes: randomBytes(N * K / 2, 11 + c), scales: randomBytes(N * K / 32, 99 + c, 0x03).map((b) => 120 + b), rows: N, cols: K,
  }));
  const ops = quantOps(variant);
  return { kernel: 'mxfp4', path: variant, bytes, copies, pass: (M, x, out) => { for (const w of mats) ops.mxfp4Matmul({ out, x, M, w }); } };
}

function fp8Case(variant: KernelVariant, N: number, K: number): Case {
  const sRows = Math.ceil(N / 128), sCols = Math.ceil(K / 128);
  const bytes = N * K + sRows * sCols;
  const copies = Math.max(4, Math.ceil(WORKING_SET / bytes));
  // the 0xBF mask clears the top exponent bit: no E4M3 NaN codes
  const ws = Array.from({ length: copies }, (_, c) => new Tensor('F8_E4M3', [N, K], randomBytes(N * K, 7 + c, 0xbf).buffer));
  const scale = new Tensor('F8_E8M0', [sRows, sCols], new Uint8Array(sRows * sCols).fill(120).buffer);
  const ops = quantOps(variant);
  return { kernel: 'fp8 (128×128 E8M0)', path: variant, bytes, copies, pass: (M, x, out) => { for (const w of ws) ops.fp8Matmul({ out, x, M, w, scale, blockN: 128, blockK: 128 }); } };
}

/** a plain BF16 GEMV (the core's matmul) over the same shape: what a pure streaming kernel reaches in this run */
function bf16Case(N: number, K: number): Case {
  const bytes = N * K * 2;
  const copies = Math.max(4, Math.ceil(WORKING_SET / bytes));
  const ws = Array.from({ length: copies }, (_, c) => new Tensor('BF16', [N, K], new Uint16Array(N * K).map((_, i) => 0x3c00 + (((i + c) * 40503) & 0x3ff)).buffer as ArrayBuffer));
  const ops = nativeOps('optimized');
  return { kernel: 'bf16 matmul (reference)', path: 'optimized', bytes, copies, pass: (M, x, out) => { for (const w of ws) ops.matmul({ out, x, w, M }); } };
}

/** the MXFP4 experts of one MoE layer at decode (mxfp4Moe, T tokens × top-k of E experts, H → I → H); each call
 * routes to other experts, so consecutive calls never find their weights in the cache */
function moeCase(variant: KernelVariant, E: number, H: number, I: number, topK: number): Case & { flops(M: number): number } {
  const mat = (rows: number, cols: number, seed: number) => ({
    codes: randomBytes(rows * cols / 2, seed), scales: randomBytes(rows * cols / 32, seed + 1, 0x03).map((b) => 120 + b), rows, cols,
  });
  const gateUp = mat(E * 2 * I, H, 301), down = mat(E * H, I, 401);
  const expertBytes = (2 * I * H + H * I) * (0.5 + 1 / 32);
  const copies = Math.floor(E / topK);
  const ops = quantOps(variant);
  return {
    kernel: `mxfp4 MoE layer (${topK} of ${E} experts)`, path: variant, bytes: topK * expertBytes, copies,
    flops: (M) => 2 * M * topK * 3 * H * I,
    pass: (M, x, out) => {
      for (let c = 0; c < copies; c++) {
        // every token picks the same experts (the bytes read are those of topK experts, whatever M is)
        const experts = Int32Array.from({ length: topK }, (_, i) => c * topK + i);
        const expertStart = Int32Array.from({ length: topK + 1 }, (_, i) => i * M);
        const slotToken = Int32Array.from({ length: topK * M }, (_, s) => s % M);
        ops.mxfp4Moe({
          out, x, numTokens: M, hidden: H, intermediate: I, numExperts: E, gateUp, down,
          experts, expertStart, slotToken, slotWeight: new Float32Array(topK * M).fill(1 / topK),
        });
      }
    },
  };
}

/** runs `cases` over activations of M rows × K (outputs M × N) and adds their rows to the table */
function measure(label: string, N: number, K: number, M: number, cases: Array<Case & { flops?(M: number): number }>): void {
  const x = new Float32Array(M * K).map((_, i) => ((i * 7919) % 1000) / 1000 - 0.5), out = new Float32Array(M * N);
  // repetitions interleave the kernels, so that each sees the same background load on a shared machine;
  // every repetition also probes the streaming bandwidth, and each kernel's ratio is taken against the
  // probe of its own repetition (the table shows the median of those paired ratios)
  const best = cases.map(() => Infinity);
  const ratios: number[][] = cases.map(() => []);
  for (let rep = 0; rep <= REPS; rep++) {
    const probe = stream.byteLength / (timeMs(() => binding.streamReadSum(stream), 1) * 1e6);
    if (rep > 0) streamRuns.push(probe);
    cases.forEach((c, i) => {
      const t0 = process.hrtime.bigint();
      c.pass(M, x, out);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6 / c.copies;
      if (rep === 0) return;
      best[i] = Math.min(best[i]!, ms);
      ratios[i]!.push(c.bytes / (ms * 1e6) / probe);
    });
  }
  cases.forEach((c, i) => {
    const ms = best[i]!;
    const flops = c.flops ? c.flops(M) : 2 * M * N * K;
    rows.push({ kernel: c.kernel, path: c.path, shape: label, batch: M, us: ms * 1e3, gbs: c.bytes / (ms * 1e6), gflops: flops / (ms * 1e6), ratio: median(ratios[i]!) });
  });
}

for (const [N, K] of [[2048, 4096], [4096, 2048]] as const) {
  const cases = [...VARIANTS.flatMap((v) => [mxfp4Case(v, N, K), fp8Case(v, N, K)]), bf16Case(N, K)];
  for (const M of [1, 8]) measure(`${N}x${K}`, N, K, M, cases);
}
{
  const E = 64, H = 2048, I = 1024, topK = 6;
  const cases = VARIANTS.map((v) => moeCase(v, E, H, I, topK));
  for (const M of [1, 4]) measure(`H ${H}, I ${I}`, H, H, M, cases);
}
fmaRuns.push(measureFma());
const streamGbs = median(streamRuns);
const fmaGflops = Math.max(...fmaRuns);

console.log(`threads ${getNumThreads()} (${caps.cores} cores), avx2 ${caps.avx2}, fma ${caps.fma}, f16c ${caps.f16c}`);
console.log(`streaming read: median ${streamGbs.toFixed(1)} GB/s over ${streamRuns.length} probes (${Math.min(...streamRuns).toFixed(1)}–${Math.max(...streamRuns).toFixed(1)}), one before each repetition; ` +
  `FMA peak: ${Number.isFinite(fmaGflops) ? `${fmaGflops.toFixed(0)} GFLOP/s` : 'n/a'}`);
console.log(`working set per measurement: ${(WORKING_SET / 2 ** 20).toFixed(0)} MiB of distinct weight copies\n`);
console.log(formatTable(
  ['kernel', 'path', 'N×K', 'batch', 'µs/call', 'packed GB/s', '% of stream', 'GFLOP/s', '% of FMA peak'],
  rows.map((r) => [
    r.kernel, r.path, r.shape, String(r.batch), r.us.toFixed(1), r.gbs.toFixed(1), `${(100 * r.ratio).toFixed(0)}%`,
    r.gflops.toFixed(1), Number.isFinite(fmaGflops) ? `${((100 * r.gflops) / fmaGflops).toFixed(0)}%` : 'n/a',
  ]),
));
console.log('\nTarget: batch-1 packed GB/s ≥ 75% of the streaming bandwidth. Batch 8 reads the same bytes for 8× the work;');
console.log('on a 2-core machine it is bounded by the FMA peak (2·8 flops per weight), not by memory.');
console.log('MoE rows count the bytes of the top-k experts per call (every token is routed to the same experts); batch = tokens.');
