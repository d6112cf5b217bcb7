// M <= kDotMaxM (one decode token on long rows, or a few streams batched): out[m, n] = x[m, :] · w[n, :].
// Tiles of 3 weight rows × up to 4 activation rows: 12 vector accumulators of dot products, each weight
// vector converted once in registers and used for every activation row of the group, each x vector used
// for all 3 rows. K is walked in blocks so the M activation rows of a block (packed contiguously, no 4 KiB
// aliasing between rows) stay in L1 while the weights stream; the accumulators live across blocks and are
// reduced once per row at the end. Memory bound at small M: 3 interleaved rows, prefetched into L2 two
// tiles ahead, stream long rows (K >= 2048) faster than matmul_gemv's single stream (measured in
// bench:decode on Llama-3.2-1B shapes: ~10%; T0 prefetches a few KiB ahead were ~8% slower).
#include <algorithm>
#include <cstring>

#include "common/aligned_buffer.h"
#include "ops/matmul_avx2.h"
#include "threadpool.h"

#if PLEXUS_HAS_X86
namespace plexus::avx2 {

namespace {

constexpr int kRows = 3;                  // weight rows per tile (12 accumulators + 3 weights + 1 x = 16 ymm)
constexpr int kGroup = 4;                 // activation rows per tile, at most
constexpr int64_t kKBlock = 256;          // M × 256 floats of x per block: <= 8 KiB
constexpr int64_t kPrefetchTiles = 2;     // prefetch (into L2) the same K block this many tiles ahead
constexpr int64_t kChunkBytes = 64 * 1024;  // smallest parallel work item, in weight bytes

// First and second 8 of the 16 weights at w + i, in the order the packed x uses. The bf16 odd half is
// shifted down and up instead of masked: a mask would need a 17th register.
template <WeightType T>
PLEXUS_AVX2 inline __m256 w_lo(const void* w, int64_t i) {
  if constexpr (T == WeightType::BF16) return bf16_even(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(static_cast<const uint16_t*>(w) + i)));
  else return load_w<T>(w, i);
}
template <WeightType T>
PLEXUS_AVX2 inline __m256 w_hi(const void* w, int64_t i) {
  if constexpr (T == WeightType::BF16) {
    const __m256i raw = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(static_cast<const uint16_t*>(w) + i));
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_srli_epi32(raw, 16), 16));
  } else {
    return load_w<T>(w, i + 8);
  }
}

// acc[r * lda + m] += w[r][0, kc) · x[m][0, kc) for R rows (stride ldw elements) and G x rows (stride kc).
// pf: weights to prefetch (same layout as w), or nullptr.
template <int R, int G, WeightType T>
PLEXUS_AVX2 void tile(const void* w, int64_t ldw, const float* x, int64_t kc, __m256* acc_mem, int64_t lda, const char* pf) {
  constexpr int64_t kLine = 64 / (T == WeightType::F32 ? 4 : 2);
  __m256 acc[R][G];
#pragma GCC unroll 4
  for (int r = 0; r < R; r++)
#pragma GCC unroll 4
    for (int m = 0; m < G; m++) acc[r][m] = acc_mem[r * lda + m];
  for (int64_t k = 0; k < kc; k += 16) {
    if (pf && k % kLine == 0)
#pragma GCC unroll 4
      for (int r = 0; r < R; r++) _mm_prefetch(pf + (r * ldw + k) * weight_bytes(T), _MM_HINT_T1);
    __m256 wv[R];
#pragma GCC unroll 4
    for (int r = 0; r < R; r++) wv[r] = w_lo<T>(w, r * ldw + k);
#pragma GCC unroll 4
    for (int m = 0; m < G; m++) {
      const __m256 xv = _mm256_loadu_ps(x + m * kc + k);
#pragma GCC unroll 4
      for (int r = 0; r < R; r++) acc[r][m] = _mm256_fmadd_ps(wv[r], xv, acc[r][m]);
    }
#pragma GCC unroll 4
    for (int r = 0; r < R; r++) wv[r] = w_hi<T>(w, r * ldw + k);
#pragma GCC unroll 4
    for (int m = 0; m < G; m++) {
      const __m256 xv = _mm256_loadu_ps(x + m * kc + k + 8);
#pragma GCC unroll 4
      for (int r = 0; r < R; r++) acc[r][m] = _mm256_fmadd_ps(wv[r], xv, acc[r][m]);
    }
  }
#pragma GCC unroll 4
  for (int r = 0; r < R; r++)
#pragma GCC unroll 4
    for (int m = 0; m < G; m++) acc_mem[r * lda + m] = acc[r][m];
}

template <int R, WeightType T>
PLEXUS_AVX2 void tile_group(int64_t g, const void* w, int64_t ldw, const float* x, int64_t kc, __m256* acc, int64_t lda, const char* pf) {
  switch (g) {
    case 4: tile<R, 4, T>(w, ldw, x, kc, acc, lda, pf); return;
    case 3: tile<R, 3, T>(w, ldw, x, kc, acc, lda, pf); return;
    case 2: tile<R, 2, T>(w, ldw, x, kc, acc, lda, pf); return;
    default: tile<R, 1, T>(w, ldw, x, kc, acc, lda, pf); return;
  }
}

// x as K blocks: the block at k0 holds the M rows' [k0, k0 + kc) back to back (bf16: split even/odd).
struct PackedX {
  const float* data;
  int64_t K16;
  const float* block(int64_t k0, int64_t M) const { return data + k0 * M; }
};

template <WeightType T>
PLEXUS_AVX2 void rows(const MatmulParams& p, const PackedX& xp, int64_t n0, int64_t n1) {
  const int64_t M = p.M, K = p.K, N = p.N, K16 = xp.K16;
  const char* w = static_cast<const char*>(p.w);
  const int64_t wb = weight_bytes(T);
  // activation-row groups of at most 4, sizes as even as possible (M = 7: 4 + 3)
  const int64_t groups = (M + kGroup - 1) / kGroup;
  int64_t gsize[(kDotMaxM + kGroup - 1) / kGroup];
  for (int64_t g = 0; g < groups; g++) gsize[g] = M / groups + (g < M % groups ? 1 : 0);
  alignas(32) __m256 acc[kRows * kDotMaxM];
  for (int64_t n = n0; n < n1; n += kRows) {
    const int rows_here = int(std::min<int64_t>(kRows, n1 - n));
    for (int64_t i = 0; i < rows_here * M; i++) acc[i] = _mm256_setzero_ps();
    for (int64_t k0 = 0; k0 < K16; k0 += kKBlock) {
      const int64_t kc = std::min(kKBlock, K16 - k0);
      const float* xb = xp.block(k0, M);
      // prefetching never faults, so it may run past the last row
      const char* pf = w + ((n + kPrefetchTiles * kRows) * K + k0) * wb;
      const char* wt = w + (n * K + k0) * wb;
      int64_t m0 = 0;
      for (int64_t g = 0; g < groups; g++) {
        const char* pfg = g == 0 ? pf : nullptr;  // later groups re-read the same weights from L1
        switch (rows_here) {
          case 3: tile_group<3, T>(gsize[g], wt, K, xb + m0 * kc, kc, acc + m0, M, pfg); break;
          case 2: tile_group<2, T>(gsize[g], wt, K, xb + m0 * kc, kc, acc + m0, M, pfg); break;
          default: tile_group<1, T>(gsize[g], wt, K, xb + m0 * kc, kc, acc + m0, M, pfg); break;
        }
        m0 += gsize[g];
      }
    }
    for (int r = 0; r < rows_here; r++)
      for (int64_t m = 0; m < M; m++)
        p.out[m * N + n + r] = hsum(acc[r * M + m]) + dot_tail(p.x + m * K, p.w, (n + r) * K, K16, K, T) + (p.bias ? p.bias[n + r] : 0.f);
  }
}

thread_local AlignedBuffer t_xpack;

template <WeightType T>
void dot(const MatmulParams& p) {
  const int64_t M = p.M, K = p.K, K16 = K & ~int64_t(15);
  float* data = t_xpack.get(size_t(std::max<int64_t>(M * K16, 1)));
  for (int64_t k0 = 0; k0 < K16; k0 += kKBlock) {
    const int64_t kc = std::min(kKBlock, K16 - k0);
    for (int64_t m = 0; m < M; m++) {
      float* dst = data + k0 * M + m * kc;
      if constexpr (T == WeightType::BF16) split_even_odd(p.x + m * K + k0, kc, dst);
      else std::memcpy(dst, p.x + m * K + k0, size_t(kc) * sizeof(float));
    }
  }
  const PackedX xp{data, K16};
  const int64_t tiles = (p.N + kRows - 1) / kRows;
  const int64_t grain = std::max<int64_t>(1, kChunkBytes / std::max<int64_t>(1, kRows * K * weight_bytes(T)));
  parallel_for(tiles, grain, [&](int64_t b, int64_t e) { rows<T>(p, xp, b * kRows, std::min(p.N, e * kRows)); });
}

}  // namespace

void matmul_dot(const MatmulParams& p) {
  // more than kDotMaxM rows (not dispatched here, but valid): slices of at most kDotMaxM
  for (int64_t m0 = 0; m0 < p.M; m0 += kDotMaxM) {
    MatmulParams s = p;
    s.M = std::min(kDotMaxM, p.M - m0);
    s.x = p.x + m0 * p.K;
    s.out = p.out + m0 * p.N;
    switch (p.wt) {
      case WeightType::F32: dot<WeightType::F32>(s); break;
      case WeightType::BF16: dot<WeightType::BF16>(s); break;
      default: dot<WeightType::F16>(s); break;
    }
  }
}

}  // namespace plexus::avx2
#endif
