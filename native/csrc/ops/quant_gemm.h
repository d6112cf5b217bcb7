// Register-tiled micro-kernels for the quantized GEMMs. They run under gemm_blocked (gemm_driver.h): the
// driver packs x, each quant kernel's pack_b dequantizes a weight panel to f32 once per K block (the panel
// is L2-sized scratch, never a copy of the model), and these multiply.
#pragma once
#include <cstdint>

#include "common/simd_avx2.h"

namespace plexus::qgemm {

constexpr int kPortableMR = 4, kPortableNR = 8;

// Portable pack_b body shared by the quantized GEMMs: panel q holds weight rows n0 + q·NR .. + NR (zero past
// nc), element (kk, j) = weight(row, k0 + kk), dequantized to f32 by the caller's `weight(n, k)`.
template <class Weight>
inline void pack_panels_portable(int64_t n0, int64_t nc, int64_t k0, int64_t kc, float* Bp, Weight&& weight) {
  constexpr int NR = kPortableNR;
  const int64_t qn = (nc + NR - 1) / NR;
  for (int64_t q = 0; q < qn; q++) {
    float* dst = Bp + q * kc * NR;
    for (int j = 0; j < NR; j++) {
      const int64_t c = q * NR + j;
      for (int64_t kk = 0; kk < kc; kk++) dst[kk * NR + j] = c < nc ? weight(n0 + c, k0 + kk) : 0.f;
    }
  }
}

// C[mr × nr] (row stride ldc) = (first ? bias-or-0 : C) + A_panel[kc][MR] · B_panel[kc][NR]
static inline void micro_portable(int64_t kc, const float* A, const float* B, float* C, int64_t ldc, int mr, int nr, bool first, const float* bias) {
  float acc[kPortableMR][kPortableNR] = {};
  for (int64_t kk = 0; kk < kc; kk++) {
    const float* b = B + kk * kPortableNR;
    for (int i = 0; i < kPortableMR; i++) {
      const float a = A[kk * kPortableMR + i];
      for (int j = 0; j < kPortableNR; j++) acc[i][j] += a * b[j];
    }
  }
  for (int i = 0; i < mr; i++)
    for (int j = 0; j < nr; j++) C[i * ldc + j] = (first ? (bias ? bias[j] : 0.f) : C[i * ldc + j]) + acc[i][j];
}

#if PLEXUS_HAS_X86
constexpr int kAvx2MR = 6, kAvx2NR = 16;

// AVX2 pack_b body shared by the quantized GEMMs: panels of kAvx2NR weight rows, each half of 8 rows filled 8 k
// at a time — row8(n, k) = the 8 dequantized weights of row n from k — and transposed in registers, while
// `whole8` (k groups never straddle a scale block) holds; partial halves and a k tail go element by element
// through weight(n, k). Rows at or past nc are zero.
template <class Row8, class Weight>
PLEXUS_AVX2 inline void pack_panels_avx2(int64_t n0, int64_t nc, int64_t k0, int64_t kc, float* Bp, bool whole8, Row8&& row8, Weight&& weight) {
  constexpr int NR = kAvx2NR;
  const int64_t qn = (nc + NR - 1) / NR;
  for (int64_t q = 0; q < qn; q++) {
    float* dst = Bp + q * kc * NR;
    for (int half = 0; half < NR; half += 8) {
      const int64_t c0 = q * NR + half;
      int64_t kk = 0;
      if (c0 + 8 <= nc && whole8) {
        for (; kk + 8 <= kc; kk += 8) {
          __m256 r[8];
          for (int i = 0; i < 8; i++) r[i] = row8(n0 + c0 + i, k0 + kk);
          avx2::transpose8x8(r);
          for (int t = 0; t < 8; t++) _mm256_storeu_ps(dst + (kk + t) * NR + half, r[t]);
        }
      }
      for (int i = 0; i < 8; i++)
        for (int64_t k = kk; k < kc; k++) dst[k * NR + half + i] = c0 + i < nc ? weight(n0 + c0 + i, k0 + k) : 0.f;
    }
  }
}

// 6×16 tile in 12 accumulators: per k, two B vectors and one broadcast per row.
PLEXUS_AVX2 static inline void micro_avx2(int64_t kc, const float* A, const float* B, float* C, int64_t ldc, int mr, int nr, bool first, const float* bias) {
  __m256 c[kAvx2MR][2];
  for (int i = 0; i < kAvx2MR; i++) c[i][0] = c[i][1] = _mm256_setzero_ps();
  for (int64_t kk = 0; kk < kc; kk++) {
    const __m256 b0 = _mm256_load_ps(B + kk * kAvx2NR), b1 = _mm256_load_ps(B + kk * kAvx2NR + 8);
    const float* a = A + kk * kAvx2MR;
    for (int i = 0; i < kAvx2MR; i++) {
      const __m256 av = _mm256_broadcast_ss(a + i);
      c[i][0] = _mm256_fmadd_ps(av, b0, c[i][0]);
      c[i][1] = _mm256_fmadd_ps(av, b1, c[i][1]);
    }
  }
  if (mr == kAvx2MR && nr == kAvx2NR) {
    for (int i = 0; i < kAvx2MR; i++) {
      float* row = C + i * ldc;
      const __m256 base0 = first ? (bias ? _mm256_loadu_ps(bias) : _mm256_setzero_ps()) : _mm256_loadu_ps(row);
      const __m256 base1 = first ? (bias ? _mm256_loadu_ps(bias + 8) : _mm256_setzero_ps()) : _mm256_loadu_ps(row + 8);
      _mm256_storeu_ps(row, _mm256_add_ps(base0, c[i][0]));
      _mm256_storeu_ps(row + 8, _mm256_add_ps(base1, c[i][1]));
    }
    return;
  }
  alignas(32) float tile[kAvx2MR][kAvx2NR];
  for (int i = 0; i < kAvx2MR; i++) { _mm256_store_ps(tile[i], c[i][0]); _mm256_store_ps(tile[i] + 8, c[i][1]); }
  for (int i = 0; i < mr; i++)
    for (int j = 0; j < nr; j++) C[i * ldc + j] = (first ? (bias ? bias[j] : 0.f) : C[i * ldc + j]) + tile[i][j];
}

#endif

}  // namespace plexus::qgemm
