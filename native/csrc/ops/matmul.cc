// matmul: out[M, N] = x[M, K] · w[N, K]ᵀ (+ bias), weights F32 / BF16 / F16.
// Decode shapes (M <= 16) on the AVX2 path go to the kernels of matmul_avx2.h, which read every weight
// once per call and reuse it in registers across the M rows: the goal moves from the streaming bandwidth
// (M = 1) towards the FMA peak (M = 16). Larger M (prefill): the blocked GEMM of gemm_driver.cc with a
// register-tiled micro-kernel. The portable path keeps one simple GEMV for M <= 4 and the same GEMM.
#include <algorithm>
#include <cstring>
#include <vector>

#include "common/simd_avx2.h"
#include "ops/gemm_driver.h"
#include "ops/kernels.h"
#include "ops/matmul_avx2.h"
#include "threadpool.h"

namespace plexus {

namespace {
// Rows per parallel chunk so each chunk streams at least ~32 KiB of weights.
int64_t gemv_grain(const MatmulParams& p) {
  const int64_t row_bytes = std::max<int64_t>(1, p.K * weight_bytes(p.wt));
  return std::max<int64_t>(1, (32 * 1024) / row_bytes);
}
}  // namespace

// ---------------------------------------------------------------- portable
namespace portable {
namespace {

thread_local std::vector<float> t_row;

template <int M>
void gemv_rows(const MatmulParams& p, int64_t n0, int64_t n1) {
  const int64_t K = p.K;
  std::vector<float>& row = t_row;
  if (p.wt != WeightType::F32 && row.size() < size_t(K)) row.resize(size_t(K));
  for (int64_t n = n0; n < n1; n++) {
    const float* w;
    if (p.wt == WeightType::F32) {
      w = static_cast<const float*>(p.w) + n * K;
    } else {
      const uint16_t* src = static_cast<const uint16_t*>(p.w) + n * K;
      float* dst = row.data();
      if (p.wt == WeightType::BF16) for (int64_t k = 0; k < K; k++) dst[k] = bf16_to_f32(src[k]);
      else for (int64_t k = 0; k < K; k++) dst[k] = f16_to_f32(src[k]);
      w = dst;
    }
    for (int m = 0; m < M; m++) {
      const float* x = p.x + m * K;
      float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};  // 8 independent sums: the compiler can use SSE2
      int64_t k = 0;
      for (; k + 8 <= K; k += 8)
        for (int j = 0; j < 8; j++) acc[j] += x[k + j] * w[k + j];
      float s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
      for (; k < K; k++) s += x[k] * w[k];
      p.out[m * p.N + n] = s + (p.bias ? p.bias[n] : 0.f);
    }
  }
}

template <int M>
void gemv(const MatmulParams& p) {
  parallel_for(p.N, gemv_grain(p), [&](int64_t b, int64_t e) { gemv_rows<M>(p, b, e); });
}

constexpr int kMR = 4, kNR = 8;

void micro(int64_t kc, const float* A, const float* B, float* C, int64_t ldc, int mr, int nr, bool first, const float* bias) {
  float acc[kMR][kNR];
  for (int i = 0; i < kMR; i++)
    for (int j = 0; j < kNR; j++) acc[i][j] = 0.f;
  for (int64_t kk = 0; kk < kc; kk++) {
    const float* b = B + kk * kNR;
    for (int i = 0; i < kMR; i++) {
      const float a = A[kk * kMR + i];
      for (int j = 0; j < kNR; j++) acc[i][j] += a * b[j];
    }
  }
  for (int i = 0; i < mr; i++)
    for (int j = 0; j < nr; j++) {
      const float base = first ? (bias ? bias[j] : 0.f) : C[i * ldc + j];
      C[i * ldc + j] = base + acc[i][j];
    }
}

void pack_b(const void* w, WeightType wt, int64_t K, int64_t n0, int64_t nc, int64_t k0, int64_t kc, float* Bp) {
  const int64_t qn = (nc + kNR - 1) / kNR;
  for (int64_t q = 0; q < qn; q++) {
    float* dst = Bp + q * kc * kNR;
    for (int j = 0; j < kNR; j++) {
      const int64_t c = q * kNR + j;
      if (c < nc) {
        const int64_t base = (n0 + c) * K + k0;
        for (int64_t kk = 0; kk < kc; kk++) dst[kk * kNR + j] = load_weight(w, base + kk, wt);
      } else {
        for (int64_t kk = 0; kk < kc; kk++) dst[kk * kNR + j] = 0.f;
      }
    }
  }
}

}  // namespace

void matmul(const MatmulParams& p) {
  if (p.M == 0 || p.N == 0) return;
  switch (p.M) {
    case 1: gemv<1>(p); return;
    case 2: gemv<2>(p); return;
    case 3: gemv<3>(p); return;
    case 4: gemv<4>(p); return;
    default: gemm_blocked(p, GemmKernels{kMR, kNR, micro, pack_b});
  }
}

}  // namespace portable

// ---------------------------------------------------------------- avx2
#if PLEXUS_HAS_X86
namespace avx2 {
namespace {

constexpr int kMR = 6, kNR = 16;

// 6×16 register tile: 12 accumulators, 2 B vectors, 1 broadcast per row and k.
PLEXUS_AVX2 void micro(int64_t kc, const float* A, const float* B, float* C, int64_t ldc, int mr, int nr, bool first, const float* bias) {
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps(), c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps(), c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps(), c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
  for (int64_t kk = 0; kk < kc; kk++) {
    const __m256 b0 = _mm256_load_ps(B + kk * 16), b1 = _mm256_load_ps(B + kk * 16 + 8);
    const float* a = A + kk * 6;
    __m256 av = _mm256_broadcast_ss(a + 0);
    c00 = _mm256_fmadd_ps(av, b0, c00); c01 = _mm256_fmadd_ps(av, b1, c01);
    av = _mm256_broadcast_ss(a + 1);
    c10 = _mm256_fmadd_ps(av, b0, c10); c11 = _mm256_fmadd_ps(av, b1, c11);
    av = _mm256_broadcast_ss(a + 2);
    c20 = _mm256_fmadd_ps(av, b0, c20); c21 = _mm256_fmadd_ps(av, b1, c21);
    av = _mm256_broadcast_ss(a + 3);
    c30 = _mm256_fmadd_ps(av, b0, c30); c31 = _mm256_fmadd_ps(av, b1, c31);
    av = _mm256_broadcast_ss(a + 4);
    c40 = _mm256_fmadd_ps(av, b0, c40); c41 = _mm256_fmadd_ps(av, b1, c41);
    av = _mm256_broadcast_ss(a + 5);
    c50 = _mm256_fmadd_ps(av, b0, c50); c51 = _mm256_fmadd_ps(av, b1, c51);
  }
  const __m256 acc[6][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
  if (mr == 6 && nr == 16) {
    __m256 base0 = _mm256_setzero_ps(), base1 = _mm256_setzero_ps();
    if (first && bias) {
      base0 = _mm256_loadu_ps(bias);
      base1 = _mm256_loadu_ps(bias + 8);
    }
    for (int i = 0; i < 6; i++) {
      float* c = C + i * ldc;
      if (!first) { base0 = _mm256_loadu_ps(c); base1 = _mm256_loadu_ps(c + 8); }
      _mm256_storeu_ps(c, _mm256_add_ps(base0, acc[i][0]));
      _mm256_storeu_ps(c + 8, _mm256_add_ps(base1, acc[i][1]));
    }
    return;
  }
  alignas(32) float tile[6][16];
  for (int i = 0; i < 6; i++) { _mm256_store_ps(tile[i], acc[i][0]); _mm256_store_ps(tile[i] + 8, acc[i][1]); }
  for (int i = 0; i < mr; i++)
    for (int j = 0; j < nr; j++) {
      const float base = first ? (bias ? bias[j] : 0.f) : C[i * ldc + j];
      C[i * ldc + j] = base + tile[i][j];
    }
}

PLEXUS_AVX2 static inline void transpose8(__m256& r0, __m256& r1, __m256& r2, __m256& r3, __m256& r4, __m256& r5, __m256& r6, __m256& r7) {
  __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
  __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
  __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
  __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
  __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xEE);
  __m256 s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xEE);
  __m256 s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xEE);
  __m256 s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xEE);
  r0 = _mm256_permute2f128_ps(s0, s4, 0x20); r1 = _mm256_permute2f128_ps(s1, s5, 0x20);
  r2 = _mm256_permute2f128_ps(s2, s6, 0x20); r3 = _mm256_permute2f128_ps(s3, s7, 0x20);
  r4 = _mm256_permute2f128_ps(s0, s4, 0x31); r5 = _mm256_permute2f128_ps(s1, s5, 0x31);
  r6 = _mm256_permute2f128_ps(s2, s6, 0x31); r7 = _mm256_permute2f128_ps(s3, s7, 0x31);
}

// Converts 8 full weight rows × 8 k to f32 and writes them transposed (k-major) at dst with row stride 16.
template <WeightType T>
PLEXUS_AVX2 static inline void pack8x8(const void* w, int64_t K, int64_t row0, int64_t k, float* dst) {
  __m256 r0 = load_w<T>(w, (row0 + 0) * K + k), r1 = load_w<T>(w, (row0 + 1) * K + k);
  __m256 r2 = load_w<T>(w, (row0 + 2) * K + k), r3 = load_w<T>(w, (row0 + 3) * K + k);
  __m256 r4 = load_w<T>(w, (row0 + 4) * K + k), r5 = load_w<T>(w, (row0 + 5) * K + k);
  __m256 r6 = load_w<T>(w, (row0 + 6) * K + k), r7 = load_w<T>(w, (row0 + 7) * K + k);
  transpose8(r0, r1, r2, r3, r4, r5, r6, r7);
  _mm256_store_ps(dst + 0 * 16, r0); _mm256_store_ps(dst + 1 * 16, r1);
  _mm256_store_ps(dst + 2 * 16, r2); _mm256_store_ps(dst + 3 * 16, r3);
  _mm256_store_ps(dst + 4 * 16, r4); _mm256_store_ps(dst + 5 * 16, r5);
  _mm256_store_ps(dst + 6 * 16, r6); _mm256_store_ps(dst + 7 * 16, r7);
}

template <WeightType T>
PLEXUS_AVX2 void pack_b_t(const void* w, int64_t K, int64_t n0, int64_t nc, int64_t k0, int64_t kc, float* Bp) {
  const int64_t qn = (nc + 15) / 16;
  for (int64_t q = 0; q < qn; q++) {
    float* dst = Bp + q * kc * 16;
    const int64_t c0 = q * 16;
    if (c0 + 16 <= nc) {
      int64_t kk = 0;
      for (; kk + 8 <= kc; kk += 8) {
        pack8x8<T>(w, K, n0 + c0, k0 + kk, dst + kk * 16);
        pack8x8<T>(w, K, n0 + c0 + 8, k0 + kk, dst + kk * 16 + 8);
      }
      for (; kk < kc; kk++)
        for (int j = 0; j < 16; j++) dst[kk * 16 + j] = load_weight(w, (n0 + c0 + j) * K + k0 + kk, T);
    } else {
      for (int j = 0; j < 16; j++) {
        const int64_t c = c0 + j;
        if (c < nc) for (int64_t kk = 0; kk < kc; kk++) dst[kk * 16 + j] = load_weight(w, (n0 + c) * K + k0 + kk, T);
        else for (int64_t kk = 0; kk < kc; kk++) dst[kk * 16 + j] = 0.f;
      }
    }
  }
}

void pack_b(const void* w, WeightType wt, int64_t K, int64_t n0, int64_t nc, int64_t k0, int64_t kc, float* Bp) {
  switch (wt) {
    case WeightType::F32: pack_b_t<WeightType::F32>(w, K, n0, nc, k0, kc, Bp); return;
    case WeightType::BF16: pack_b_t<WeightType::BF16>(w, K, n0, nc, k0, kc, Bp); return;
    default: pack_b_t<WeightType::F16>(w, K, n0, nc, k0, kc, Bp); return;
  }
}

}  // namespace

void matmul(const MatmulParams& p) {
  if (p.M == 0 || p.N == 0) return;
  if (p.M <= kGemvMaxM && p.K * weight_bytes(p.wt) <= kGemvMaxRowBytes) matmul_gemv(p);
  else if (p.M <= kDotMaxM) matmul_dot(p);
  else if (p.M <= kOuterMaxM) matmul_outer(p);
  else gemm_blocked(p, GemmKernels{kMR, kNR, micro, pack_b});
}

}  // namespace avx2
#endif

}  // namespace plexus
