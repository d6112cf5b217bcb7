// kDotMaxM < M <= kOuterMaxM (many decode streams batched): out[m, n] = x[m, :] · w[n, :], compute bound.
// The activations are transposed once per call into xt[k][16] (rows past M are zero), so one vector holds
// 8 activation rows at one k. A micro-kernel broadcasts one weight scalar per row and multiplies it into
// 2 such vectors: 6 weight rows × 16 activation rows = 12 accumulators that live for a whole K block, and
// no horizontal sums at all. bf16/f16 weights are converted to f32 once per (6 rows × K block) into an L1
// buffer, and that conversion is interleaved with the previous tile's FMAs so it rides in their shadow.
#include <algorithm>
#include <cstring>

#include "common/aligned_buffer.h"
#include "ops/matmul_avx2.h"
#include "threadpool.h"

#if PLEXUS_HAS_X86
namespace plexus::avx2 {

namespace {

constexpr int kMR = 6;                  // weight rows per micro tile
constexpr int kW = 16;                  // activation rows per micro tile (2 vectors)
constexpr int64_t kKBlock = 256;        // xt block: 256 × 16 floats = 16 KiB, in L1
constexpr int64_t kRowBlock = 12;       // weight rows that share one pass over xt
constexpr int64_t kChunkBytes = 64 * 1024;  // smallest parallel work item, in weight bytes

// acc[r] += w[r · ldw + k] · xt[k] for R rows: one broadcast per row, two FMAs into its 16 columns
template <int R>
PLEXUS_AVX2 inline void fma_column(const float* w, int64_t ldw, int64_t k, const float* xt, __m256 (&acc)[R][2]) {
  const __m256 x0 = _mm256_load_ps(xt + k * kW), x1 = _mm256_load_ps(xt + k * kW + 8);
#pragma GCC unroll 6
  for (int r = 0; r < R; r++) {
    const __m256 b = _mm256_broadcast_ss(w + r * ldw + k);
    acc[r][0] = _mm256_fmadd_ps(b, x0, acc[r][0]);
    acc[r][1] = _mm256_fmadd_ps(b, x1, acc[r][1]);
  }
}

// c[r][0..16) += acc[r] for R rows
template <int R>
PLEXUS_AVX2 inline void add_tile(const __m256 (&acc)[R][2], float* c) {
#pragma GCC unroll 6
  for (int r = 0; r < R; r++) {
    float* cr = c + r * kW;
    _mm256_store_ps(cr, _mm256_add_ps(_mm256_load_ps(cr), acc[r][0]));
    _mm256_store_ps(cr + 8, _mm256_add_ps(_mm256_load_ps(cr + 8), acc[r][1]));
  }
}

// c[r][0..16) += sum_k wf[r * ldw + k] * xt[k][0..16) for R rows; wf is f32.
template <int R>
PLEXUS_AVX2 void micro(int64_t kc, const float* wf, int64_t ldw, const float* xt, float* c) {
  __m256 acc[R][2];
#pragma GCC unroll 6
  for (int r = 0; r < R; r++) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
  for (int64_t k = 0; k < kc; k++) fma_column<R>(wf, ldw, k, xt, acc);
  add_tile<R>(acc, c);
}

// 16 raw weights at w + i -> f32 at dst (bf16: even/odd order, matching xt)
template <WeightType T>
PLEXUS_AVX2 inline void convert16(const uint16_t* w, int64_t i, float* dst) {
  if constexpr (T == WeightType::BF16) {
    const __m256i raw = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + i));
    _mm256_store_ps(dst, bf16_even(raw));
    _mm256_store_ps(dst + 8, bf16_odd(raw));
  } else {
    _mm256_store_ps(dst, load_f16(w + i));
    _mm256_store_ps(dst + 8, load_f16(w + i + 8));
  }
}

// rows × kc raw weights (stride ldw) -> wf rows of stride kKBlock
template <WeightType T>
PLEXUS_AVX2 void convert_rows(int rows, const uint16_t* w, int64_t ldw, int64_t kc, float* wf) {
  for (int r = 0; r < rows; r++)
    for (int64_t k = 0; k < kc; k += 16) convert16<T>(w + r * ldw, k, wf + r * kKBlock + k);
}

// micro<kMR> over kc on wf (row stride kKBlock), while converting the next tile (6 rows at nw, stride ldn, same kc) into wn
// and prefetching the one after it (pf, same layout; nullptr at the end).
template <WeightType T>
PLEXUS_AVX2 void micro_convert_next(int64_t kc, const float* wf, const float* xt, float* c, const uint16_t* nw, int64_t ldn, float* wn,
                                    const uint16_t* pf) {
  __m256 acc[kMR][2];
#pragma GCC unroll 6
  for (int r = 0; r < kMR; r++) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
  for (int64_t k0 = 0; k0 < kc; k0 += 16) {
#pragma GCC unroll 6
    for (int r = 0; r < kMR; r++) {
      if (pf && k0 % 32 == 0) _mm_prefetch(reinterpret_cast<const char*>(pf + r * ldn + k0), _MM_HINT_T0);
      convert16<T>(nw + r * ldn, k0, wn + r * kKBlock + k0);
    }
#pragma GCC unroll 16
    for (int64_t k = k0; k < k0 + 16; k++) fma_column<kMR>(wf, kKBlock, k, xt, acc);
  }
  add_tile<kMR>(acc, c);
}

PLEXUS_AVX2 void micro_rows(int rows, int64_t kc, const float* wf, int64_t ldw, const float* xt, float* c) {
  switch (rows) {
    case 6: micro<6>(kc, wf, ldw, xt, c); return;
    case 5: micro<5>(kc, wf, ldw, xt, c); return;
    case 4: micro<4>(kc, wf, ldw, xt, c); return;
    case 3: micro<3>(kc, wf, ldw, xt, c); return;
    case 2: micro<2>(kc, wf, ldw, xt, c); return;
    default: micro<1>(kc, wf, ldw, xt, c); return;
  }
}

// One tile = kMR weight rows × one K block. Tiles run row block by row block, K block by K block, and
// within a K block over the row block's rows, so consecutive tiles share the xt block in L1.
struct TileWalk {
  int64_t n1, K16;
  int64_t s, k0, n;  // row block start, K block start, first row of the tile
  bool done() const { return s >= n1; }
  int rows() const { return int(std::min<int64_t>(kMR, std::min(n1, s + kRowBlock) - n)); }
  int64_t kc() const { return std::min(kKBlock, K16 - k0); }
  void next() {
    n += kMR;
    if (n < std::min(n1, s + kRowBlock)) return;
    n = s;
    k0 += kKBlock;
    if (k0 < K16) return;
    s += kRowBlock, k0 = 0, n = s;
  }
};

template <WeightType T>
PLEXUS_AVX2 void rows(const MatmulParams& p, const float* xt, int64_t n0, int64_t n1) {
  const int64_t M = p.M, K = p.K, N = p.N, K16 = K & ~int64_t(15);
  alignas(32) float c[kRowBlock * kW];
  alignas(32) float wf[2][kMR * kKBlock];
  const uint16_t* w16 = static_cast<const uint16_t*>(p.w);
  const float* w32 = static_cast<const float*>(p.w);
  TileWalk t{n1, K16, n0, 0, n0};
  int buf = 0;
  if constexpr (T != WeightType::F32)
    if (K16 > 0) convert_rows<T>(t.rows(), w16 + t.n * K, K, t.kc(), wf[0]);
  for (int64_t s = n0; s < n1; s += kRowBlock) {
    const int64_t e = std::min(n1, s + kRowBlock);
    std::memset(c, 0, sizeof(c));
    for (; K16 > 0 && !t.done() && t.s == s; ) {
      const int rows = t.rows();
      const int64_t kc = t.kc();
      const float* xb = xt + t.k0 * kW;
      float* ct = c + (t.n - s) * kW;
      if constexpr (T == WeightType::F32) {
        micro_rows(rows, kc, w32 + t.n * K + t.k0, K, xb, ct);
        t.next();
      } else {
        TileWalk nx = t;
        nx.next();
        if (rows == kMR && !nx.done() && nx.rows() == kMR && nx.kc() == kc) {
          TileWalk after = nx;
          after.next();
          const uint16_t* pf = after.done() ? nullptr : w16 + after.n * K + after.k0;
          micro_convert_next<T>(kc, wf[buf], xb, ct, w16 + nx.n * K + nx.k0, K, wf[buf ^ 1], pf);
        } else {
          micro_rows(rows, kc, wf[buf], kKBlock, xb, ct);
          if (!nx.done()) convert_rows<T>(nx.rows(), w16 + nx.n * K + nx.k0, K, nx.kc(), wf[buf ^ 1]);
        }
        buf ^= 1;
        t = nx;
      }
    }
    for (int64_t n = s; n < e; n++)
      for (int64_t m = 0; m < M; m++)
        p.out[m * N + n] = c[(n - s) * kW + m] + dot_tail(p.x + m * K, p.w, n * K, K16, K, T) + (p.bias ? p.bias[n] : 0.f);
  }
}

// xt[k][m] = x[m][k'] for k < K16, where k' follows the weight conversion order (bf16: even/odd split
// per 16); m >= M is zero. Split rows first, then transpose 8 × 8 blocks.
PLEXUS_AVX2 void transpose8x8_copy(const float* src, int64_t lds, float* dst, int64_t ldd) {
  __m256 r[8];
  for (int i = 0; i < 8; i++) r[i] = _mm256_loadu_ps(src + i * lds);
  transpose8x8(r);
  for (int i = 0; i < 8; i++) _mm256_storeu_ps(dst + i * ldd, r[i]);
}

thread_local AlignedBuffer t_xt, t_xrows;

template <WeightType T>
PLEXUS_AVX2 const float* pack_xt(const MatmulParams& p) {
  const int64_t M = p.M, K = p.K, K16 = K & ~int64_t(15);
  float* xr = t_xrows.get(size_t(std::max<int64_t>(kW * K16, 1)));  // [16][K16], split, zero rows past M
  float* xt = t_xt.get(size_t(std::max<int64_t>(K16 * kW, 1)));
  for (int64_t m = 0; m < kW; m++) {
    float* dst = xr + m * K16;
    if (m >= M) std::memset(dst, 0, size_t(K16) * sizeof(float));
    else if constexpr (T == WeightType::BF16) split_even_odd(p.x + m * K, K16, dst);
    else std::memcpy(dst, p.x + m * K, size_t(K16) * sizeof(float));
  }
  for (int64_t k = 0; k < K16; k += 8)
    for (int64_t m = 0; m < kW; m += 8) transpose8x8_copy(xr + m * K16 + k, K16, xt + k * kW + m, kW);
  return xt;
}

template <WeightType T>
void outer(const MatmulParams& p) {
  const float* xt = pack_xt<T>(p);
  const int64_t blocks = (p.N + kRowBlock - 1) / kRowBlock;
  const int64_t grain = std::max<int64_t>(1, kChunkBytes / std::max<int64_t>(1, kRowBlock * p.K * weight_bytes(T)));
  parallel_for(blocks, grain, [&](int64_t b, int64_t e) { rows<T>(p, xt, b * kRowBlock, std::min(p.N, e * kRowBlock)); });
}

}  // namespace

void matmul_outer(const MatmulParams& p) {
  // more than kOuterMaxM rows (not dispatched here, but valid): slices of at most kOuterMaxM
  for (int64_t m0 = 0; m0 < p.M; m0 += kOuterMaxM) {
    MatmulParams s = p;
    s.M = std::min(kOuterMaxM, p.M - m0);
    s.x = p.x + m0 * p.K;
    s.out = p.out + m0 * p.N;
    switch (p.wt) {
      case WeightType::F32: outer<WeightType::F32>(s); break;
      case WeightType::BF16: outer<WeightType::BF16>(s); break;
      default: outer<WeightType::F16>(s); break;
    }
  }
}

}  // namespace plexus::avx2
#endif
