// M <= kGemvMaxM (one or two decode tokens) on SHORT weight rows: out[m, n] = x[m, :] · w[n, :] (+ bias[n]).
// Memory bound: every weight byte is read once, so what matters is how the reads reach DRAM. Each thread
// walks its rows one after another, one sequential stream, prefetching ~1 KiB ahead in it: rows of
// K = 896 (1.75 KiB of bf16: Qwen2.5-0.5B, its 151936-row lm_head) end before the hardware prefetcher has
// ramped up, and the 3-row tiles of matmul_dot reach ~10-15% less bandwidth on them. (On long rows it is
// the other way round, hence the dispatch in matmul.cc.) Row sums stay vectors and are reduced 8 rows at a
// time, so there is no horizontal sum per row.
#include <algorithm>

#include "common/aligned_buffer.h"
#include "ops/matmul_avx2.h"
#include "threadpool.h"

#if PLEXUS_HAS_X86
namespace plexus::avx2 {

namespace {

constexpr int64_t kPrefetchBytes = 1024;  // measured: 768-1024 best, 4096 clearly worse
// Smallest parallel work item, in weight bytes. A parallel region costs a few us; the k/v projections of
// small models (128x896 bf16: 229 KB, ~10 us) measured fastest split in 64 KiB pieces (32 KiB: -15%).
constexpr int64_t kChunkBytes = 64 * 1024;

PLEXUS_AVX2 inline void prefetch(const void* p) { _mm_prefetch(static_cast<const char*>(p), _MM_HINT_T0); }

// Sum vectors of one row against M activation rows (stride ldx) over k < K16 (a multiple of 16); xs is x
// split even/odd for bf16, plain otherwise. Four accumulators per activation row keep the FMA latency
// off the critical path.
template <WeightType T, int M>
PLEXUS_AVX2 inline void row_dot(const void* wrow, const float* xs, int64_t ldx, int64_t K16, __m256* sums) {
  __m256 acc[M][4];
#pragma GCC unroll 4
  for (int m = 0; m < M; m++)
#pragma GCC unroll 4
    for (int a = 0; a < 4; a++) acc[m][a] = _mm256_setzero_ps();
  const char* bytes = static_cast<const char*>(wrow);
  constexpr int64_t kStep = T == WeightType::F32 ? 16 : 32;  // elements per 64-byte line
  int64_t k = 0;
  for (; k + 32 <= K16; k += 32) {
    prefetch(bytes + k * weight_bytes(T) + kPrefetchBytes);
    if constexpr (kStep == 16) prefetch(bytes + k * weight_bytes(T) + kPrefetchBytes + 64);
    __m256 wv[4];
    if constexpr (T == WeightType::BF16) {
      const uint16_t* w = static_cast<const uint16_t*>(wrow);
      const __m256i r0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + k));
      const __m256i r1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + k + 16));
      wv[0] = bf16_even(r0), wv[1] = bf16_odd(r0), wv[2] = bf16_even(r1), wv[3] = bf16_odd(r1);
    } else {
#pragma GCC unroll 4
      for (int j = 0; j < 4; j++) wv[j] = load_w<T>(wrow, k + 8 * j);
    }
#pragma GCC unroll 4
    for (int m = 0; m < M; m++)
#pragma GCC unroll 4
      for (int j = 0; j < 4; j++) acc[m][j] = _mm256_fmadd_ps(wv[j], _mm256_loadu_ps(xs + m * ldx + k + 8 * j), acc[m][j]);
  }
  for (; k < K16; k += 16) {
    __m256 w0, w1;
    if constexpr (T == WeightType::BF16) {
      const __m256i r0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(static_cast<const uint16_t*>(wrow) + k));
      w0 = bf16_even(r0), w1 = bf16_odd(r0);
    } else {
      w0 = load_w<T>(wrow, k), w1 = load_w<T>(wrow, k + 8);
    }
#pragma GCC unroll 4
    for (int m = 0; m < M; m++) {
      acc[m][0] = _mm256_fmadd_ps(w0, _mm256_loadu_ps(xs + m * ldx + k), acc[m][0]);
      acc[m][1] = _mm256_fmadd_ps(w1, _mm256_loadu_ps(xs + m * ldx + k + 8), acc[m][1]);
    }
  }
#pragma GCC unroll 4
  for (int m = 0; m < M; m++) sums[m] = _mm256_add_ps(_mm256_add_ps(acc[m][0], acc[m][1]), _mm256_add_ps(acc[m][2], acc[m][3]));
}

template <WeightType T, int M>
PLEXUS_AVX2 void rows(const MatmulParams& p, const float* xs, int64_t n0, int64_t n1) {
  const int64_t K = p.K, N = p.N, K16 = K & ~int64_t(15);
  const int64_t row_bytes = K * weight_bytes(T);
  const char* w = static_cast<const char*>(p.w);
  // the loop prefetches ahead of itself; start the stream here
  for (int64_t b = 0; b < std::min(kPrefetchBytes, (n1 - n0) * row_bytes); b += 64) prefetch(w + n0 * row_bytes + b);
  for (int64_t n = n0; n < n1; n += 8) {
    const int count = int(std::min<int64_t>(8, n1 - n));
    __m256 v[M][8];
    for (int i = 0; i < count; i++) {
      __m256 sums[M];
      row_dot<T, M>(w + (n + i) * row_bytes, xs, K, K16, sums);
#pragma GCC unroll 4
      for (int m = 0; m < M; m++) v[m][i] = sums[m];
    }
    for (int m = 0; m < M; m++) {
      float* out = p.out + m * N + n;
      const float* x = p.x + m * K;
      if (count == 8) {
        __m256 s = hsum8(v[m][0], v[m][1], v[m][2], v[m][3], v[m][4], v[m][5], v[m][6], v[m][7]);
        if (p.bias) s = _mm256_add_ps(s, _mm256_loadu_ps(p.bias + n));
        _mm256_storeu_ps(out, s);
        if (K16 < K)
          for (int i = 0; i < 8; i++) out[i] += dot_tail(x, p.w, (n + i) * K, K16, K, T);
      } else {
        for (int i = 0; i < count; i++) out[i] = hsum(v[m][i]) + dot_tail(x, p.w, (n + i) * K, K16, K, T) + (p.bias ? p.bias[n + i] : 0.f);
      }
    }
  }
}

thread_local AlignedBuffer t_xsplit;

template <WeightType T, int M>
void gemv(const MatmulParams& p) {
  const float* xs = p.x;
  if constexpr (T == WeightType::BF16) {
    float* split = t_xsplit.get(size_t(std::max<int64_t>(M * p.K, 1)));
    for (int m = 0; m < M; m++) split_even_odd(p.x + m * p.K, p.K, split + m * p.K);
    xs = split;
  }
  // work items of whole 8-row groups, each at least kChunkBytes of weights
  const int64_t groups = (p.N + 7) / 8;
  const int64_t group_bytes = std::max<int64_t>(1, 8 * p.K * weight_bytes(T));
  const int64_t grain = std::max<int64_t>(1, kChunkBytes / group_bytes);
  parallel_for(groups, grain, [&](int64_t b, int64_t e) { rows<T, M>(p, xs, b * 8, std::min(p.N, e * 8)); });
}

template <WeightType T>
void gemv_m(const MatmulParams& p) {
  if (p.M == 1) gemv<T, 1>(p);
  else gemv<T, 2>(p);
}

}  // namespace

void matmul_gemv(const MatmulParams& p) {
  // more than kGemvMaxM rows (not dispatched here, but valid): slices of at most kGemvMaxM
  for (int64_t m0 = 0; m0 < p.M; m0 += kGemvMaxM) {
    MatmulParams s = p;
    s.M = std::min(kGemvMaxM, p.M - m0);
    s.x = p.x + m0 * p.K;
    s.out = p.out + m0 * p.N;
    switch (p.wt) {
      case WeightType::F32: gemv_m<WeightType::F32>(s); break;
      case WeightType::BF16: gemv_m<WeightType::BF16>(s); break;
      default: gemv_m<WeightType::F16>(s); break;
    }
  }
}

}  // namespace plexus::avx2
#endif
