// gelu: exact 0.5·x·(1 + erf(x/√2)) or the tanh approximation 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))).
#include <cmath>

#include "common/simd_avx2.h"
#include "ops/kernels.h"
#include "threadpool.h"

namespace plexus {

namespace {
constexpr int64_t kGrain = 16384;
constexpr float kSqrt2OverPi = 0.7978845608028654f;
constexpr float kInvSqrt2 = 0.7071067811865476f;

inline float gelu_scalar(float x, bool tanh_approx) {
  // 0.5·x·(1 + tanh(y)) = x / (1 + e^{-2y}): no cancellation in the left tail
  if (tanh_approx) return x / (1.f + std::exp(-2.f * kSqrt2OverPi * (x + 0.044715f * x * x * x)));
  return 0.5f * x * (1.f + std::erf(x * kInvSqrt2));
}
}  // namespace

namespace portable {
void gelu(const GeluParams& p) {
  parallel_for(p.n, kGrain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; i++) p.out[i] = gelu_scalar(p.x[i], p.tanh_approx);
  });
}
}  // namespace portable

#if PLEXUS_HAS_X86
namespace avx2 {
namespace {
// erfc(z) for z >= 0 with fractional error < 1.2e-7 everywhere (Chebyshev fit, Numerical Recipes
// "erfcc"). Working with erfc keeps full relative precision in the left tail of gelu, where
// 1 + erf(x) would cancel.
PLEXUS_AVX2 inline __m256 erfc_pos8(__m256 z) {
  const __m256 one = _mm256_set1_ps(1.f);
  const __m256 t = _mm256_div_ps(one, _mm256_fmadd_ps(_mm256_set1_ps(0.5f), z, one));
  __m256 p = _mm256_set1_ps(0.17087277f);
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-0.82215223f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(1.48851587f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-1.13520398f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(0.27886807f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-0.18628806f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(0.09678418f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(0.37409196f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(1.00002368f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-1.26551223f));
  const __m256 e = exp(_mm256_sub_ps(p, _mm256_mul_ps(z, z)));
  return _mm256_mul_ps(t, e);
}

PLEXUS_AVX2 void range(const GeluParams& p, int64_t b, int64_t e) {
  const __m256 half = _mm256_set1_ps(0.5f), one = _mm256_set1_ps(1.f);
  int64_t i = b;
  for (; i + 8 <= e; i += 8) {
    const __m256 x = _mm256_loadu_ps(p.x + i);
    if (p.tanh_approx) {
      // x / (1 + e^{-2y}), y = √(2/π)(x + 0.044715x³)
      const __m256 x3 = _mm256_mul_ps(_mm256_mul_ps(x, x), x);
      const __m256 m2y = _mm256_mul_ps(_mm256_set1_ps(-2.f * kSqrt2OverPi), _mm256_fmadd_ps(_mm256_set1_ps(0.044715f), x3, x));
      _mm256_storeu_ps(p.out + i, _mm256_div_ps(x, _mm256_add_ps(one, exp(m2y))));
    } else {
      // 1 + erf(x/√2) = erfc(|x|/√2) for x < 0, 2 - erfc(|x|/√2) for x >= 0
      const __m256 z = _mm256_mul_ps(_mm256_andnot_ps(_mm256_set1_ps(-0.f), x), _mm256_set1_ps(kInvSqrt2));
      const __m256 ec = erfc_pos8(z);
      const __m256 neg = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ);
      const __m256 inner = _mm256_blendv_ps(_mm256_sub_ps(_mm256_set1_ps(2.f), ec), ec, neg);
      _mm256_storeu_ps(p.out + i, _mm256_mul_ps(_mm256_mul_ps(half, x), inner));
    }
  }
  for (; i < e; i++) p.out[i] = gelu_scalar(p.x[i], p.tanh_approx);
}
}  // namespace

void gelu(const GeluParams& p) {
  parallel_for(p.n, kGrain, [&](int64_t b, int64_t e) { range(p, b, e); });
}
}  // namespace avx2
#endif

}  // namespace plexus
