/**
 * Kernel roofline benchmark: `npm run bench:kernels`. Measures this machine's streaming-read bandwidth
 * and FMA peak with the addon's own pool, then GEMV (decode) and GEMM (prefill) throughput, and prints
 * each as a fraction of those limits. A figure printer, not a test: it asserts nothing.
 *
 * Flags: --quick (fewer repetitions), --portable (add portable-path rows).
 */
import os from 'node:os';
import { capabilities, getNumThreads, loadBinding, nativeOps, Tensor, type KernelVariant } from '../src/index.ts';

const args = new Set(process.argv.slice(2));
const QUICK = args.has('--quick');
const WITH_PORTABLE = args.has('--portable');
const REPS = QUICK ? 5 : 15;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function timeMs(fn: () => void, reps: number, warmup = 2, before?: () => void): number {
  for (let i = 0; i < warmup; i++) fn();
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) {
    before?.();
    const t0 = process.hrtime.bigint();
    fn();
    ts.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return median(ts);
}

function randomBf16Weights(n: number, dtype: 'BF16' | 'F32' | 'F16'): ArrayBuffer {
  if (dtype === 'F32') {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = ((i * 2654435761) % 1000) / 1000 - 0.5;
    return a.buffer;
  }
  const a = new Uint16Array(n);
  // small finite values in both encodings (bf16 0x3c00.. / f16 0x2c00..)
  const base = dtype === 'BF16' ? 0x3c00 : 0x2c00;
  for (let i = 0; i < n; i++) a[i] = base + ((i * 40503) & 0x3ff);
  return a.buffer;
}

const binding = loadBinding();
const caps = capabilities();
const threads = getNumThreads();

// ---- machine limits, measured in this run (before and after the kernels; the better of the two is the
// limit, so a noisy neighbour during one measurement cannot inflate the ratios)
const streamFloats = 128 * 1024 * 1024; // 512 MiB, far beyond any L3
const stream = new Float32Array(streamFloats).fill(1);
function measureStream(): number {
  const ms = timeMs(() => binding.streamReadSum(stream), QUICK ? 5 : 10);
  return (streamFloats * 4) / (ms * 1e6);
}
function measureFma(): number {
  if (!(caps.avx2 && caps.fma)) return NaN;
  const iters = 20_000_000;
  let flops = 0;
  const ms = timeMs(() => { flops = binding.fmaPeakRun(iters); }, 5, 1);
  return flops / (ms * 1e6);
}
const limitsBefore = { stream: measureStream(), fma: measureFma() };
const evictBuffer = new Float32Array(64 * 1024 * 1024 / 4).fill(1); // 64 MiB, twice this machine class's L3
const evictCaches = () => { binding.streamReadSum(evictBuffer); };

interface Row { op: string; dtype: string; shape: string; batch: number; ms: number; gbs: number; gflops: number }
const rows: Row[] = [];

function bench(variant: KernelVariant, dtype: 'BF16' | 'F32' | 'F16', N: number, K: number, M: number): void {
  const ops = nativeOps(variant);
  const w = new Tensor(dtype, [N, K], randomBf16Weights(N * K, dtype));
  const x = new Float32Array(M * K).fill(0.01);
  const out = new Float32Array(M * N);
  const flops = 2 * M * N * K;
  const reps = flops > 1e10 ? Math.max(3, Math.floor(REPS / 3)) : REPS;
  // decode reads each layer's weights once per token, far more than any L3 holds: evict them before
  // every timed run so small matrices are not served from cache
  const ms = timeMs(() => ops.matmul({ out, x, w, M }), reps, 2, M <= 16 ? evictCaches : undefined);
  const bytes = w.byteLength + x.byteLength + out.byteLength;
  rows.push({
    op: `${M <= 16 ? 'gemv' : 'gemm'}${variant === 'portable' ? ' (portable)' : ''}`,
    dtype, shape: `${N}x${K}`, batch: M, ms, gbs: bytes / (ms * 1e6), gflops: flops / (ms * 1e6),
  });
}

// decode shapes: Llama-3-8B-like long rows (K = 4096) and Qwen2.5-0.5B short rows (K = 896: q/o, k/v,
// gate/up and the tied 151936-row lm_head), at batch 1 and the batched-decode sizes of continuous batching
for (const M of [1, 2, 4, 8, 16]) bench('optimized', 'BF16', 14336, 4096, M);
for (const M of [1, 4, 16]) bench('optimized', 'BF16', 4096, 4096, M);
for (const [N, K] of [[151936, 896], [4864, 896], [896, 896], [128, 896]] as const) bench('optimized', 'BF16', N, K, 1);
for (const M of [4, 16]) bench('optimized', 'BF16', 4864, 896, M);
for (const [N, K] of [[4096, 4096], [14336, 4096]] as const) {
  for (const M of [1, 4, 16]) bench('optimized', 'F32', N, K, M);
}
bench('optimized', 'F16', 4096, 4096, 1);
bench('optimized', 'F16', 4096, 4096, 16);
for (const dtype of ['BF16', 'F32'] as const) bench('optimized', dtype, 4096, 4096, 512);
if (WITH_PORTABLE) {
  bench('portable', 'BF16', 4096, 4096, 1);
  bench('portable', 'BF16', 4096, 4096, 128);
}

// fixed cost of one call (N-API, argument checks; too small to be split over the pool): a 64x64 f32 GEMV
function callOverheadUs(): number {
  const ops = nativeOps('optimized');
  const w = new Tensor('F32', [64, 64], new Float32Array(64 * 64).fill(0.5).buffer);
  const x = new Float32Array(64).fill(1), out = new Float32Array(64);
  const calls = 2000;
  return (timeMs(() => { for (let i = 0; i < calls; i++) ops.matmul({ out, x, w, M: 1 }); }, QUICK ? 3 : 7) * 1000) / calls;
}
const overheadUs = callOverheadUs();

const limitsAfter = { stream: measureStream(), fma: measureFma() };
const streamGBs = Math.max(limitsBefore.stream, limitsAfter.stream);
const fmaGflops = Math.max(limitsBefore.fma, limitsAfter.fma);

// ---- report
const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
console.log(`Plexus kernel bench — ${cpu}, ${caps.cores} cores, ${threads} pool threads, ` +
  `avx2=${caps.avx2} fma=${caps.fma} f16c=${caps.f16c} avx512f=${caps.avx512f}, node ${process.version}`);
console.log(`streaming read: ${streamGBs.toFixed(1)} GB/s (${threads} threads, 512 MiB; before/after ${limitsBefore.stream.toFixed(1)}/${limitsAfter.stream.toFixed(1)})   ` +
  `FMA peak: ${Number.isNaN(fmaGflops) ? 'n/a' : `${fmaGflops.toFixed(0)} GFLOP/s (before/after ${limitsBefore.fma.toFixed(0)}/${limitsAfter.fma.toFixed(0)})`}`);
console.log('');
const header = ['op', 'dtype', 'shape (NxK)', 'batch', 'ms (median)', 'GB/s', 'GFLOP/s', '% stream BW', '% FMA peak'];
const table = rows.map((r) => [
  r.op, r.dtype, r.shape, String(r.batch), r.ms.toFixed(3), r.gbs.toFixed(1), r.gflops.toFixed(1),
  `${((r.gbs / streamGBs) * 100).toFixed(0)}%`, Number.isNaN(fmaGflops) ? 'n/a' : `${((r.gflops / fmaGflops) * 100).toFixed(0)}%`,
]);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((t) => t[i]!.length)));
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
console.log(line(header));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const t of table) console.log(line(t));

const find = (shape: string, batch: number) => rows.find((r) => r.op === 'gemv' && r.dtype === 'BF16' && r.batch === batch && r.shape === shape);
const gemv = find('14336x4096', 1);
const gemvShort = find('4864x896', 1);
const batched = find('14336x4096', 16);
const gemm = rows.filter((r) => r.op === 'gemm').sort((a, b) => b.gflops - a.gflops)[0];
console.log('');
console.log(`call overhead (64x64 f32 GEMV: N-API + argument checks): ${overheadUs.toFixed(1)} us`);
if (gemv) console.log(`target bf16 GEMV batch 1 >= 80% of stream BW: ${((gemv.gbs / streamGBs) * 100).toFixed(0)}% (K = 4096)` +
  (gemvShort ? `, ${((gemvShort.gbs / streamGBs) * 100).toFixed(0)}% (K = 896)` : ''));
if (gemv && batched) {
  console.log(`bf16 14336x4096 batch 16: ${((batched.gflops / fmaGflops) * 100).toFixed(0)}% of FMA peak, ` +
    `${((16 * gemv.ms) / batched.ms).toFixed(1)}x the rows/s of batch 1 (batched decode target: >= 6x)`);
}
if (gemm && !Number.isNaN(fmaGflops)) console.log(`target GEMM (M=512) >= 50% of FMA peak: ${((gemm.gflops / fmaGflops) * 100).toFixed(0)}%`);
