// rmsnorm: out = x / sqrt(mean(x²) + eps) * weight, per row; weight optional (F32 / BF16 / F16).
#include <cmath>

#include "common/simd_avx2.h"
#include "ops/kernels.h"
#include "threadpool.h"

namespace plexus {

namespace {
int64_t row_grain(int64_t dim) { return dim >= 4096 ? 1 : 4096 / (dim > 0 ? dim : 1); }
}  // namespace

namespace portable {
void rmsnorm(const RmsnormParams& p) {
  parallel_for(p.rows, row_grain(p.dim), [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; r++) {
      const float* x = p.x + r * p.dim;
      float* out = p.out + r * p.dim;
      float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      int64_t i = 0;
      for (; i + 8 <= p.dim; i += 8)
        for (int j = 0; j < 8; j++) acc[j] += x[i + j] * x[i + j];
      float ss = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
      for (; i < p.dim; i++) ss += x[i] * x[i];
      const float inv = 1.0f / std::sqrt(ss / float(p.dim) + p.eps);
      if (p.w) for (int64_t k = 0; k < p.dim; k++) out[k] = x[k] * inv * load_weight(p.w, k, p.wt);
      else for (int64_t k = 0; k < p.dim; k++) out[k] = x[k] * inv;
    }
  });
}
}  // namespace portable

#if PLEXUS_HAS_X86
namespace avx2 {
namespace {
template <WeightType T, bool Weighted>
PLEXUS_AVX2 void rows(const RmsnormParams& p, int64_t b, int64_t e) {
  const int64_t dim = p.dim;
  for (int64_t r = b; r < e; r++) {
    const float* x = p.x + r * dim;
    float* out = p.out + r * dim;
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= dim; i += 16) {
      const __m256 v0 = _mm256_loadu_ps(x + i), v1 = _mm256_loadu_ps(x + i + 8);
      a0 = _mm256_fmadd_ps(v0, v0, a0);
      a1 = _mm256_fmadd_ps(v1, v1, a1);
    }
    for (; i + 8 <= dim; i += 8) { const __m256 v = _mm256_loadu_ps(x + i); a0 = _mm256_fmadd_ps(v, v, a0); }
    float ss = hsum(_mm256_add_ps(a0, a1));
    for (; i < dim; i++) ss += x[i] * x[i];
    const float inv = 1.0f / std::sqrt(ss / float(dim) + p.eps);
    const __m256 vinv = _mm256_set1_ps(inv);
    int64_t k = 0;
    for (; k + 8 <= dim; k += 8) {
      __m256 v = _mm256_mul_ps(_mm256_loadu_ps(x + k), vinv);
      if constexpr (Weighted) v = _mm256_mul_ps(v, load_w<T>(p.w, k));
      _mm256_storeu_ps(out + k, v);
    }
    for (; k < dim; k++) out[k] = Weighted ? x[k] * inv * load_weight(p.w, k, T) : x[k] * inv;
  }
}
}  // namespace

void rmsnorm(const RmsnormParams& p) {
  parallel_for(p.rows, row_grain(p.dim), [&](int64_t b, int64_t e) {
    if (!p.w) rows<WeightType::F32, false>(p, b, e);
    else if (p.wt == WeightType::F32) rows<WeightType::F32, true>(p, b, e);
    else if (p.wt == WeightType::BF16) rows<WeightType::BF16, true>(p, b, e);
    else rows<WeightType::F16, true>(p, b, e);
  });
}
}  // namespace avx2
#endif

}  // namespace plexus
