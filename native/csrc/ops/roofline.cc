// Roofline probes used by the kernel benchmark to measure this machine's limits in the same run:
// a read-only streaming sum over a buffer on all pool threads, and an FMA-bound register loop.
#include <atomic>

#include "capabilities.h"
#include "common/simd_avx2.h"
#include "ops/kernels.h"
#include "threadpool.h"

namespace plexus {

#if PLEXUS_HAS_X86
namespace avx2 {
namespace {
// Reads [b, e) as four interleaved sequential streams (quarters of the range): several streams keep
// more misses in flight than one, which is what a GEMV over several rows does too.
PLEXUS_AVX2 double sum_avx2(const float* x, int64_t b, int64_t e) {
  const int64_t q = ((e - b) / 4) & ~int64_t(15);
  const float *s0 = x + b, *s1 = s0 + q, *s2 = s1 + q, *s3 = s2 + q;
  __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
  __m256 c0 = _mm256_setzero_ps(), c1 = _mm256_setzero_ps(), c2 = _mm256_setzero_ps(), c3 = _mm256_setzero_ps();
  for (int64_t i = 0; i < q; i += 16) {
    a0 = _mm256_add_ps(a0, _mm256_loadu_ps(s0 + i)); c0 = _mm256_add_ps(c0, _mm256_loadu_ps(s0 + i + 8));
    a1 = _mm256_add_ps(a1, _mm256_loadu_ps(s1 + i)); c1 = _mm256_add_ps(c1, _mm256_loadu_ps(s1 + i + 8));
    a2 = _mm256_add_ps(a2, _mm256_loadu_ps(s2 + i)); c2 = _mm256_add_ps(c2, _mm256_loadu_ps(s2 + i + 8));
    a3 = _mm256_add_ps(a3, _mm256_loadu_ps(s3 + i)); c3 = _mm256_add_ps(c3, _mm256_loadu_ps(s3 + i + 8));
  }
  __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
                           _mm256_add_ps(_mm256_add_ps(c0, c1), _mm256_add_ps(c2, c3)));
  double total = hsum(s);
  for (int64_t i = b + 4 * q; i < e; i++) total += x[i];
  return total;
}

// 12 independent FMA chains per thread keep both FMA pipes busy past the 4-cycle latency.
PLEXUS_AVX2 double fma_loop(int64_t iters) {
  __m256 c[12];
  for (int j = 0; j < 12; j++) c[j] = _mm256_set1_ps(float(j) * 1e-3f);
  const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
  for (int64_t i = 0; i < iters; i++)
    for (int j = 0; j < 12; j++) c[j] = _mm256_fmadd_ps(c[j], a, b);
  __m256 s = c[0];
  for (int j = 1; j < 12; j++) s = _mm256_add_ps(s, c[j]);
  return hsum(s);
}
}  // namespace
}  // namespace avx2
#endif

namespace portable {
namespace {
double sum_portable(const float* x, int64_t b, int64_t e) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = b;
  for (; i + 8 <= e; i += 8)
    for (int j = 0; j < 8; j++) acc[j] += x[i + j];
  double s = 0;
  for (int j = 0; j < 8; j++) s += acc[j];
  for (; i < e; i++) s += x[i];
  return s;
}
}  // namespace
}  // namespace portable

double stream_read_sum(const float* data, int64_t n) {
  const int threads = ThreadPool::instance().size();
  std::atomic<double> total{0};
  // one contiguous share per thread, like a GEMV's row split
  parallel_tasks(threads, [&](int64_t t) {
    const int64_t b = n * t / threads, e = n * (t + 1) / threads;
#if PLEXUS_HAS_X86
    const double s = has_avx2_path() ? avx2::sum_avx2(data, b, e) : portable::sum_portable(data, b, e);
#else
    const double s = portable::sum_portable(data, b, e);
#endif
    double cur = total.load();
    while (!total.compare_exchange_weak(cur, cur + s)) {}
  });
  return total.load();
}

double fma_peak_run(int64_t iters) {
#if PLEXUS_HAS_X86
  const int threads = ThreadPool::instance().size();
  std::atomic<double> sink{0};
  parallel_tasks(threads, [&](int64_t) {
    const double s = avx2::fma_loop(iters);
    double cur = sink.load();
    while (!sink.compare_exchange_weak(cur, cur + s)) {}
  });
  // keep the result observable; flops = threads × iters × 12 chains × 8 lanes × 2
  return sink.load() == 12345.678 ? 0.0 : double(threads) * double(iters) * 12.0 * 8.0 * 2.0;
#else
  (void)iters;
  return 0.0;
#endif
}

}  // namespace plexus
