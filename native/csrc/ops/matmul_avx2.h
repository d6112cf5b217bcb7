// The AVX2 matmul kernels for decode shapes, one file each, dispatched by avx2::matmul (matmul.cc):
//   M = 1..2, short rows  matmul_gemv_avx2.cc   weight rows streamed one after another (memory bound)
//   M = 1..8              matmul_dot_avx2.cc    3 weight rows × up to 4 activation rows per tile
//   M = 9..16             matmul_outer_avx2.cc  weight scalars broadcast against 16 transposed x rows
// plus the small helpers they share. The thresholds are crossovers measured on the 2-core dev machine
// (Zen 3: npm run bench:kernels / bench:decode, native/bench/probe); every kernel is correct for any shape.
#pragma once
#include <cstdint>

#include "common/simd_avx2.h"
#include "ops/kernels.h"

#if PLEXUS_HAS_X86
namespace plexus::avx2 {

constexpr int64_t kGemvMaxM = 2;
constexpr int64_t kGemvMaxRowBytes = 4095;  // "short" rows: K = 896 bf16 or f32 yes, K = 2048 bf16 no
constexpr int64_t kDotMaxM = 8;
constexpr int64_t kOuterMaxM = 16;

// Each is correct for every M (a larger M is run in slices of the kernel's maximum).
void matmul_gemv(const MatmulParams& p);   // M <= kGemvMaxM
void matmul_dot(const MatmulParams& p);    // M <= kDotMaxM
void matmul_outer(const MatmulParams& p);  // M <= kOuterMaxM

// bf16 weights are read 16 at a time as 8 u32 words: `w << 16` is the even elements as f32 and
// `w & 0xffff0000` the odd ones, so no widening shuffle is needed. Activations are pre-split to match:
// each block of 16 becomes [x0 x2 .. x14 | x1 x3 .. x15]; a tail shorter than 16 is copied as is.
PLEXUS_AVX2 inline void split_even_odd(const float* x, int64_t K, float* xs) {
  const __m256i idx = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7);
  int64_t k = 0;
  for (; k + 16 <= K; k += 16) {
    const __m256 a = _mm256_permutevar8x32_ps(_mm256_loadu_ps(x + k), idx);
    const __m256 b = _mm256_permutevar8x32_ps(_mm256_loadu_ps(x + k + 8), idx);
    _mm256_storeu_ps(xs + k, _mm256_permute2f128_ps(a, b, 0x20));
    _mm256_storeu_ps(xs + k + 8, _mm256_permute2f128_ps(a, b, 0x31));
  }
  for (; k < K; k++) xs[k] = x[k];
}

PLEXUS_AVX2 inline __m256 bf16_even(__m256i raw) { return _mm256_castsi256_ps(_mm256_slli_epi32(raw, 16)); }
PLEXUS_AVX2 inline __m256 bf16_odd(__m256i raw) { return _mm256_castsi256_ps(_mm256_and_si256(raw, _mm256_set1_epi32(int(0xffff0000u)))); }

// Horizontal sums of 8 vectors at once: lane i of the result is the sum of v[i].
PLEXUS_AVX2 inline __m256 hsum8(__m256 v0, __m256 v1, __m256 v2, __m256 v3, __m256 v4, __m256 v5, __m256 v6, __m256 v7) {
  const __m256 a = _mm256_hadd_ps(_mm256_hadd_ps(v0, v1), _mm256_hadd_ps(v2, v3));  // 0 1 2 3 | 0 1 2 3
  const __m256 b = _mm256_hadd_ps(_mm256_hadd_ps(v4, v5), _mm256_hadd_ps(v6, v7));  // 4 5 6 7 | 4 5 6 7
  return _mm256_add_ps(_mm256_permute2f128_ps(a, b, 0x20), _mm256_permute2f128_ps(a, b, 0x31));
}

// Dot product of the K - K16 tail elements (K16 = K rounded down to 16) in plain C++ order.
inline float dot_tail(const float* x, const void* w, int64_t row_start, int64_t K16, int64_t K, WeightType wt) {
  float s = 0.f;
  for (int64_t k = K16; k < K; k++) s += x[k] * load_weight(w, row_start + k, wt);
  return s;
}

}  // namespace plexus::avx2
#endif
