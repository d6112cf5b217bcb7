// softmax over each row, in place. A row that is entirely -Infinity (fully masked) becomes all zeros.
#include <cmath>
#include <limits>

#include "common/simd_avx2.h"
#include "ops/kernels.h"
#include "threadpool.h"

namespace plexus {

namespace {
int64_t row_grain(int64_t cols) { return cols >= 2048 ? 1 : 2048 / (cols > 0 ? cols : 1); }
}  // namespace

namespace portable {
void softmax(const SoftmaxParams& p) {
  parallel_for(p.rows, row_grain(p.cols), [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; r++) {
      float* x = p.x + r * p.cols;
      float m = -std::numeric_limits<float>::infinity();
      for (int64_t i = 0; i < p.cols; i++) m = x[i] > m ? x[i] : m;
      if (m == -std::numeric_limits<float>::infinity()) {
        for (int64_t i = 0; i < p.cols; i++) x[i] = 0.f;
        continue;
      }
      float sum = 0.f;
      for (int64_t i = 0; i < p.cols; i++) { x[i] = std::exp(x[i] - m); sum += x[i]; }
      const float inv = 1.f / sum;
      for (int64_t i = 0; i < p.cols; i++) x[i] *= inv;
    }
  });
}
}  // namespace portable

#if PLEXUS_HAS_X86
namespace avx2 {
namespace {
PLEXUS_AVX2 void rows(const SoftmaxParams& p, int64_t b, int64_t e) {
  const int64_t n = p.cols;
  for (int64_t r = b; r < e; r++) {
    float* x = p.x + r * n;
    __m256 vm = _mm256_set1_ps(-std::numeric_limits<float>::infinity());
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) vm = _mm256_max_ps(_mm256_loadu_ps(x + i), vm);
    float m = hmax(vm);
    for (; i < n; i++) m = x[i] > m ? x[i] : m;
    if (m == -std::numeric_limits<float>::infinity()) {
      for (int64_t k = 0; k < n; k++) x[k] = 0.f;
      continue;
    }
    const __m256 bm = _mm256_set1_ps(m);
    __m256 vs = _mm256_setzero_ps();
    i = 0;
    for (; i + 8 <= n; i += 8) {
      const __m256 v = exp(_mm256_sub_ps(_mm256_loadu_ps(x + i), bm));
      _mm256_storeu_ps(x + i, v);
      vs = _mm256_add_ps(vs, v);
    }
    float sum = hsum(vs);
    for (; i < n; i++) { x[i] = std::exp(x[i] - m); sum += x[i]; }
    const float inv = 1.f / sum;
    const __m256 vi = _mm256_set1_ps(inv);
    i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_loadu_ps(x + i), vi));
    for (; i < n; i++) x[i] *= inv;
  }
}
}  // namespace

void softmax(const SoftmaxParams& p) {
  parallel_for(p.rows, row_grain(p.cols), [&](int64_t b, int64_t e) { rows(p, b, e); });
}
}  // namespace avx2
#endif

}  // namespace plexus
