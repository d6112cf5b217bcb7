/**
 * This machine's roofline, measured in the same run as the model benchmark with the addon's probes:
 * streaming read bandwidth (a multi-threaded sum over a buffer far larger than the caches, split across
 * threads like a GEMV's rows) and the FMA peak (independent FMA chains on every pool thread).
 */
import { loadBinding } from '@plexus/native';
import { median } from './stats.ts';

export class MachineProbe {
  private readonly data: Float32Array;

  constructor(bufferBytes = 1 << 30) {
    this.data = new Float32Array(bufferBytes / 4);
    // touch every page: an untouched calloc'ed buffer reads the shared zero page and looks "fast"
    this.data.fill(1);
    loadBinding().streamReadSum(this.data);
  }

  /** bytes per second: best of `passes` passes (the machine's limit; slower passes are interference) */
  readBandwidth(passes = 3): number {
    const b = loadBinding();
    let best = 0;
    for (let i = 0; i < passes; i++) {
      const t0 = performance.now();
      b.streamReadSum(this.data);
      best = Math.max(best, this.data.byteLength / ((performance.now() - t0) / 1000));
    }
    return best;
  }

  /** FLOP per second (f32 FMA = 2 FLOP), median of several runs */
  fmaPeak(runs = 5): number {
    const b = loadBinding();
    b.fmaPeakRun(1 << 20); // warm the pool and the clocks
    const peaks: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      const flops = b.fmaPeakRun(1 << 24);
      peaks.push(flops / ((performance.now() - t0) / 1000));
    }
    return median(peaks);
  }
}
