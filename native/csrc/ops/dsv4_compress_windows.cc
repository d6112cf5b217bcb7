// The KV compressor's pooling: for every window and channel, a softmax over the window's candidate rows
// of their gate scores, weighting their kv values. A candidate scored -inf (the missing previous window of
// the first overlapped window) weighs nothing; a channel whose candidates are all -inf pools to 0.
// Channels are independent, so the AVX2 path runs eight of them per vector. One work item = a range of
// windows (decode completes at most one window per sequence and step, so this op is small).
#include <algorithm>
#include <cmath>
#include <limits>

#include "common/simd_avx2.h"
#include "ops/dsv4_kernels.h"
#include "threadpool.h"

namespace plexus {

namespace {
constexpr float kNegInf = -std::numeric_limits<float>::infinity();

int64_t window_grain(const Dsv4CompressWindowsParams& p) {
  const int64_t work = std::max<int64_t>(1, p.numCandidates * p.dim);
  return std::max<int64_t>(1, 16384 / work);
}

// one channel d of one window (base = the window's first candidate row)
inline float pool_channel(const float* kv, const float* score, int64_t C, int64_t D, int64_t d) {
  float m = kNegInf;
  for (int64_t c = 0; c < C; c++) m = std::max(m, score[c * D + d]);
  if (m == kNegInf) return 0.f;
  float sum = 0.f, acc = 0.f;
  for (int64_t c = 0; c < C; c++) {
    const float e = std::exp(score[c * D + d] - m);
    sum += e;
    acc += e * kv[c * D + d];
  }
  return acc / sum;
}
}  // namespace

namespace portable {
void dsv4_compress_windows(const Dsv4CompressWindowsParams& p) {
  const int64_t C = p.numCandidates, D = p.dim;
  parallel_for(p.numWindows, window_grain(p), [&](int64_t b, int64_t e) {
    for (int64_t w = b; w < e; w++) {
      const float* kv = p.kv + w * C * D;
      const float* score = p.score + w * C * D;
      for (int64_t d = 0; d < D; d++) p.out[w * D + d] = pool_channel(kv, score, C, D, d);
    }
  });
}
}  // namespace portable

#if PLEXUS_HAS_X86
namespace avx2 {
namespace {
PLEXUS_AVX2 void windows(const Dsv4CompressWindowsParams& p, int64_t b, int64_t e) {
  const int64_t C = p.numCandidates, D = p.dim;
  const __m256 ninf = _mm256_set1_ps(kNegInf);
  for (int64_t w = b; w < e; w++) {
    const float* kv = p.kv + w * C * D;
    const float* score = p.score + w * C * D;
    float* out = p.out + w * D;
    int64_t d = 0;
    for (; d + 8 <= D; d += 8) {
      __m256 m = ninf;
      for (int64_t c = 0; c < C; c++) m = _mm256_max_ps(m, _mm256_loadu_ps(score + c * D + d));
      // all -inf lanes: subtract 0 instead (exp(-inf) = 0 keeps them out of the sums), output 0 below
      const __m256 empty = _mm256_cmp_ps(m, ninf, _CMP_EQ_OQ);
      const __m256 shift = _mm256_andnot_ps(empty, m);
      __m256 sum = _mm256_setzero_ps(), acc = _mm256_setzero_ps();
      for (int64_t c = 0; c < C; c++) {
        const __m256 x = exp(_mm256_sub_ps(_mm256_loadu_ps(score + c * D + d), shift));
        sum = _mm256_add_ps(sum, x);
        acc = _mm256_fmadd_ps(x, _mm256_loadu_ps(kv + c * D + d), acc);
      }
      _mm256_storeu_ps(out + d, _mm256_andnot_ps(empty, _mm256_div_ps(acc, sum)));
    }
    for (; d < D; d++) out[d] = pool_channel(kv, score, C, D, d);
  }
}
}  // namespace

void dsv4_compress_windows(const Dsv4CompressWindowsParams& p) {
  parallel_for(p.numWindows, window_grain(p), [&](int64_t b, int64_t e) { windows(p, b, e); });
}
}  // namespace avx2
#else
namespace avx2 {
void dsv4_compress_windows(const Dsv4CompressWindowsParams& p) { portable::dsv4_compress_windows(p); }
}  // namespace avx2
#endif

}  // namespace plexus
