// swiglu: out = silu(gate) * up, silu(g) = g / (1 + e^-g). With a limit (GPT-OSS style clamp), gate is
// clamped to (-inf, limit] and up to [-limit, limit] first.
#include <algorithm>
#include <cmath>

#include "common/simd_avx2.h"
#include "ops/kernels.h"
#include "threadpool.h"

namespace plexus {

namespace {
constexpr int64_t kGrain = 16384;

inline float silu_mul(float g, float u, bool has_limit, float limit) {
  if (has_limit) { g = std::min(g, limit); u = std::min(std::max(u, -limit), limit); }
  return g / (1.f + std::exp(-g)) * u;
}
}  // namespace

namespace portable {
void swiglu(const SwigluParams& p) {
  parallel_for(p.n, kGrain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; i++) p.out[i] = silu_mul(p.gate[i], p.up[i], p.has_limit, p.limit);
  });
}
}  // namespace portable

#if PLEXUS_HAS_X86
namespace avx2 {
namespace {
PLEXUS_AVX2 void range(const SwigluParams& p, int64_t b, int64_t e) {
  const __m256 one = _mm256_set1_ps(1.f);
  const __m256 lim = _mm256_set1_ps(p.limit), nlim = _mm256_set1_ps(-p.limit);
  const __m256 sign = _mm256_set1_ps(-0.f);
  int64_t i = b;
  for (; i + 8 <= e; i += 8) {
    __m256 g = _mm256_loadu_ps(p.gate + i), u = _mm256_loadu_ps(p.up + i);
    // operand order: min/max_ps return their second operand when either is NaN, so a NaN passes through
    if (p.has_limit) { g = _mm256_min_ps(lim, g); u = _mm256_min_ps(lim, _mm256_max_ps(nlim, u)); }
    const __m256 den = _mm256_add_ps(one, exp(_mm256_xor_ps(g, sign)));
    _mm256_storeu_ps(p.out + i, _mm256_mul_ps(_mm256_div_ps(g, den), u));
  }
  for (; i < e; i++) p.out[i] = silu_mul(p.gate[i], p.up[i], p.has_limit, p.limit);
}
}  // namespace

void swiglu(const SwigluParams& p) {
  parallel_for(p.n, kGrain, [&](int64_t b, int64_t e) { range(p, b, e); });
}
}  // namespace avx2
#endif

}  // namespace plexus
