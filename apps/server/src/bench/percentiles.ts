/** Summary statistics for latency lists (linear interpolation between ranks, as numpy.percentile). */
export interface Summary {
  mean: number;
  median: number;
  p99: number;
  std: number;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
}

export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) return { mean: 0, median: 0, p99: 0, std: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length;
  return { mean, median: percentile(sorted, 50), p99: percentile(sorted, 99), std: Math.sqrt(variance) };
}
