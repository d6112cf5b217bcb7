// argmax per row; ties go to the lowest index; NaN is never selected (a row with nothing above -inf gives 0).
#include <limits>

#include "common/simd_avx2.h"
#include "ops/kernels.h"
#include "threadpool.h"

namespace plexus {

namespace {
int64_t row_grain(int64_t cols) { return cols >= 8192 ? 1 : 8192 / (cols > 0 ? cols : 1); }
}  // namespace

namespace portable {
void argmax(const ArgmaxParams& p) {
  parallel_for(p.rows, row_grain(p.cols), [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; r++) {
      const float* x = p.x + r * p.cols;
      float best = -std::numeric_limits<float>::infinity();
      int64_t idx = 0;
      for (int64_t i = 0; i < p.cols; i++)
        if (x[i] > best) { best = x[i]; idx = i; }
      p.out[r] = int32_t(idx);
    }
  });
}
}  // namespace portable

#if PLEXUS_HAS_X86
namespace avx2 {
namespace {
PLEXUS_AVX2 int64_t row_argmax(const float* x, int64_t n) {
  // pass 1: the maximum (max_ps returns its second operand when either is NaN, so NaN never wins)
  __m256 vm = _mm256_set1_ps(-std::numeric_limits<float>::infinity());
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) vm = _mm256_max_ps(_mm256_loadu_ps(x + i), vm);
  float m = hmax(vm);
  for (; i < n; i++) m = x[i] > m ? x[i] : m;
  if (m == -std::numeric_limits<float>::infinity()) return 0;
  // pass 2: the first index holding it
  const __m256 bm = _mm256_set1_ps(m);
  i = 0;
  for (; i + 8 <= n; i += 8) {
    const int mask = _mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(x + i), bm, _CMP_EQ_OQ));
    if (mask) return i + __builtin_ctz(unsigned(mask));
  }
  for (; i < n; i++) if (x[i] == m) return i;
  return 0;
}
}  // namespace

void argmax(const ArgmaxParams& p) {
  parallel_for(p.rows, row_grain(p.cols), [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; r++) p.out[r] = int32_t(row_argmax(p.x + r * p.cols, p.cols));
  });
}
}  // namespace avx2
#endif

}  // namespace plexus
