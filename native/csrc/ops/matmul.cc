// matmul: out[M, N] = x[M, K] · w[N, K]ᵀ (+ bias), weights F32 / BF16 / F16.
// Small M (decode): each weight row is streamed once, converted in registers and multiplied against all
// M activation rows (memory bound: the goal is the streaming bandwidth). Larger M (prefill, big batches):
// the blocked GEMM of gemm_driver.cc with a register-tiled micro-kernel (compute bound: the goal is FMA peak).
#include <algorithm>
#include <cstring>
#include <vector>

#include "common/aligned_buffer.h"
#include "common/simd_avx2.h"
#include "ops/gemm_driver.h"
#include "ops/kernels.h"
#include "threadpool.h"

namespace plexus {

namespace {
// Up to this many rows, stream the weights once and reuse each converted vector across all rows; above
// it the packed GEMM wins (measured: M = 8 favours this path, M = 16 the GEMM).
constexpr int64_t kGemvMaxM = 8;

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

// bf16 rows are read 16 at a time as 8 u32 words: `w << 16` is the even elements as f32 and
// `w & 0xffff0000` the odd ones, so no widening shuffle is needed; x is pre-split once per call into
// matching [x0 x2 .. x14 | x1 x3 .. x15] blocks (xs), which also makes the x loads plain vector loads.
PLEXUS_AVX2 void split_even_odd(const float* x, int64_t K, float* xs) {
  const __m256i idx = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7);
  int64_t k = 0;
  for (; k + 16 <= K; k += 16) {
    // within each 128-bit lane, bf16 words 2j/2j+1 of u32 j: lanes hold elements 0..7 and 8..15
    const __m256 a = _mm256_loadu_ps(x + k), b = _mm256_loadu_ps(x + k + 8);
    const __m256 pa = _mm256_permutevar8x32_ps(a, idx), pb = _mm256_permutevar8x32_ps(b, idx);
    // even = x0 x2 x4 x6 | x8 x10 x12 x14, odd = x1 x3 x5 x7 | x9 x11 x13 x15
    _mm256_storeu_ps(xs + k, _mm256_permute2f128_ps(pa, pb, 0x20));
    _mm256_storeu_ps(xs + k + 8, _mm256_permute2f128_ps(pa, pb, 0x31));
  }
  for (; k < K; k++) xs[k] = x[k];
}

// R weight rows × MG activation rows over k in [k0, k0 + kc): R·MG vector accumulators; each weight
// vector is loaded once and used MG times, each x vector (from L1, thanks to K blocking) R times.
// Sums are added into partial[r * M + m0 + m].
template <int R, int MG, WeightType T>
PLEXUS_AVX2 void tile(const MatmulParams& p, const float* xs, int64_t n, int64_t m0, int64_t k0, int64_t kc, float* partial) {
  const int64_t K = p.K;
  __m256 acc[R][MG];
  for (int r = 0; r < R; r++)
    for (int m = 0; m < MG; m++) acc[r][m] = _mm256_setzero_ps();
  const int64_t kend = k0 + kc;
  int64_t k = k0;
  // With several activation rows the K-blocked walk visits each weight row in short pieces, too short
  // for the hardware prefetcher to lock on: prefetch (into L2) the same piece of the rows two tiles
  // ahead. Prefetches never fault, even past the end of the weights.
  const bool prefetch = kc * weight_bytes(T) <= 4096;
  const char* ahead = static_cast<const char*>(p.w) + ((n + 2 * R) * K + k0) * weight_bytes(T);
  for (; k + 16 <= kend; k += 16) {
    if (prefetch && ((k - k0) & 31) == 0)
      for (int r = 0; r < R; r++) _mm_prefetch(ahead + (r * K + (k - k0)) * weight_bytes(T), _MM_HINT_T1);
    __m256 w0[R], w1[R];
    for (int r = 0; r < R; r++) {
      const int64_t at = (n + r) * K + k;
      if constexpr (T == WeightType::BF16) {
        const __m256i raw = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(static_cast<const uint16_t*>(p.w) + at));
        w0[r] = _mm256_castsi256_ps(_mm256_slli_epi32(raw, 16));
        w1[r] = _mm256_castsi256_ps(_mm256_and_si256(raw, _mm256_set1_epi32(int(0xffff0000u))));
      } else {
        w0[r] = load_w<T>(p.w, at);
        w1[r] = load_w<T>(p.w, at + 8);
      }
    }
    for (int m = 0; m < MG; m++) {
      const float* xm = xs + (m0 + m) * K + k;
      const __m256 x0 = _mm256_loadu_ps(xm), x1 = _mm256_loadu_ps(xm + 8);
      for (int r = 0; r < R; r++) {
        acc[r][m] = _mm256_fmadd_ps(w0[r], x0, acc[r][m]);
        acc[r][m] = _mm256_fmadd_ps(w1[r], x1, acc[r][m]);
      }
    }
  }
  for (int r = 0; r < R; r++) {
    for (int m = 0; m < MG; m++) {
      float s = hsum(acc[r][m]);
      // tail (< 16): xs holds x unsplit there
      for (int64_t kk = k; kk < kend; kk++) s += p.x[(m0 + m) * K + kk] * load_weight(p.w, (n + r) * K + kk, T);
      partial[r * p.M + m0 + m] += s;
    }
  }
}

// Rows [n0, n1) against all M (<= kGemvMaxM) activation rows, K blocked so the M x-blocks stay in L1.
template <int R, int MG, WeightType T>
PLEXUS_AVX2 void tile_groups(const MatmulParams& p, const float* xs, int64_t n, int64_t k0, int64_t kc, float* partial) {
  // MG is the group size; M = groups of MG plus one smaller last group
  for (int64_t m0 = 0; m0 < p.M; m0 += MG) {
    const int64_t left = p.M - m0;
    if (left >= MG) { tile<R, MG, T>(p, xs, n, m0, k0, kc, partial); continue; }
    switch (left) {
      case 1: tile<R, 1, T>(p, xs, n, m0, k0, kc, partial); break;
      case 2: tile<R, 2, T>(p, xs, n, m0, k0, kc, partial); break;
      case 3: tile<R, 3, T>(p, xs, n, m0, k0, kc, partial); break;
      case 4: tile<R, 4, T>(p, xs, n, m0, k0, kc, partial); break;
      case 5: tile<R, 5, T>(p, xs, n, m0, k0, kc, partial); break;
      case 6: tile<R, 6, T>(p, xs, n, m0, k0, kc, partial); break;
      default: tile<R, 7, T>(p, xs, n, m0, k0, kc, partial); break;
    }
  }
}

template <int R, int MG, WeightType T>
void gemv_rows(const MatmulParams& p, const float* xs, int64_t n0, int64_t n1) {
  constexpr int64_t kRowBlock = 16;
  const int64_t M = p.M, K = p.K;
  // x block of M rows × kb floats <= 16 KiB (L1), a multiple of 16 so the even/odd split lines up
  int64_t kb = std::max<int64_t>(256, (4096 / M) & ~int64_t(15));
  float partial[kRowBlock * kGemvMaxM];
  for (int64_t s = n0; s < n1; s += kRowBlock) {
    const int64_t e = std::min(n1, s + kRowBlock);
    std::fill(partial, partial + (e - s) * M, 0.f);
    for (int64_t k0 = 0; k0 < K; k0 += kb) {
      const int64_t kc = std::min(kb, K - k0);
      int64_t n = s;
      for (; n + R <= e; n += R) tile_groups<R, MG, T>(p, xs, n, k0, kc, partial + (n - s) * M);
      for (; n < e; n++) tile_groups<1, MG, T>(p, xs, n, k0, kc, partial + (n - s) * M);
    }
    const float* bias = p.bias;
    for (int64_t n = s; n < e; n++)
      for (int64_t m = 0; m < M; m++) p.out[m * p.N + n] = partial[(n - s) * M + m] + (bias ? bias[n] : 0.f);
  }
}

thread_local AlignedBuffer t_xsplit;

template <WeightType T>
void gemv(const MatmulParams& p) {
  const float* xs = p.x;
  if constexpr (T == WeightType::BF16) {
    float* split = t_xsplit.get(size_t(p.M * p.K));
    for (int64_t m = 0; m < p.M; m++) split_even_odd(p.x + m * p.K, p.K, split + m * p.K);
    xs = split;
  }
  // rows per tile chosen so R·M accumulators stay around 8 (16 ymm registers in all)
  auto run = [&](auto rows_fn) { parallel_for(p.N, gemv_grain(p), [&](int64_t b, int64_t e) { rows_fn(p, xs, b, e); }); };
  switch (p.M) {
    case 1: run(gemv_rows<4, 1, T>); break;
    case 2: run(gemv_rows<4, 2, T>); break;
    case 3: run(gemv_rows<2, 3, T>); break;
    case 4: run(gemv_rows<2, 4, T>); break;
    default: run(gemv_rows<1, 8, T>); break;
  }
}

void gemv_dispatch(const MatmulParams& p) {
  switch (p.wt) {
    case WeightType::F32: gemv<WeightType::F32>(p); return;
    case WeightType::BF16: gemv<WeightType::BF16>(p); return;
    default: gemv<WeightType::F16>(p); return;
  }
}

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
  if (p.M <= kGemvMaxM) gemv_dispatch(p);
  else gemm_blocked(p, GemmKernels{kMR, kNR, micro, pack_b});
}

}  // namespace avx2
#endif

}  // namespace plexus
