// fp8_matmul: out[M, N] = x[M, K] · Wᵀ (+ bias), W[n, k] = e4m3(w[n, k]) · scale[n / blockN, k / blockK].
// The e4m3 bytes and the block scales are read in place (no dequantized copy of the weights).
// Small M (decode): each weight row is streamed once (with a software prefetch ahead) and multiplied
// against all M activation rows; one FMA per block applies the block scale. The AVX2 path (block width a multiple of 32) decodes without any
// conversion instruction: an e4m3 byte moved into a float's sign/exponent/mantissa bits with exponent bias
// 0 is exactly its value times 2^-120, subnormals included (both formats treat exponent field 0 the same
// way). Byte and word unpacks do that for 32 weights in ten instructions; the activations are pre-scaled
// by 2^(120 - e) once per call (and permuted to the unpacks' lane order), so products stay normal floats.
// Other block widths use vcvtph2ps (e4m3 shares f16's layout up to a 2^8 exponent offset).
// Larger M: the blocked GEMM (gemm_driver.h) over panels dequantized to f32 once per K block.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <vector>

#include "common/simd_avx2.h"
#include "ops/gemm_driver.h"
#include "ops/quant_common.h"
#include "ops/quant_gemm.h"
#include "ops/quant_kernels.h"
#include "threadpool.h"

namespace plexus {

namespace {
constexpr int64_t kGemvMaxM = 8;  // rows of x handled by the streaming GEMV (in passes of up to 4 over L1-resident rows)

// rows per parallel chunk so that each chunk streams ~32 KiB of weights
int64_t fp8_grain(int64_t K) { return std::max<int64_t>(1, (32 * 1024) / std::max<int64_t>(1, K)); }

// gemm_blocked passes pack_b an opaque weight pointer; the fp8 kernels pass their params through it.
MatmulParams as_matmul(const Fp8MatmulParams& p) {
  return MatmulParams{p.out, p.x, &p, WeightType::F32, p.M, p.N, p.K, p.bias};
}
}  // namespace

// ---------------------------------------------------------------- portable
namespace portable {
namespace {

thread_local std::vector<float> t_row;

void gemv_rows(const Fp8MatmulParams& p, int64_t n0, int64_t n1) {
  const auto& T = quant::tables();
  const int64_t K = p.K, bk = p.blockK, nkb = (K + bk - 1) / bk, M = p.M;
  if (t_row.size() < size_t(K)) t_row.resize(size_t(K));
  float* wv = t_row.data();
  for (int64_t n = n0; n < n1; n++) {
    const uint8_t* w = p.w + n * K;
    for (int64_t k = 0; k < K; k++) wv[k] = T.e4m3[w[k]];
    float acc[kGemvMaxM] = {};
    for (int64_t kb = 0; kb < nkb; kb++) {
      const int64_t k0 = kb * bk, k1 = std::min(K, k0 + bk);
      const float s = quant::fp8_scale(p, n / p.blockN, kb);
      for (int64_t m = 0; m < M; m++) {
        const float* x = p.x + m * K;
        float part[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        int64_t k = k0;
        for (; k + 8 <= k1; k += 8)
          for (int j = 0; j < 8; j++) part[j] += wv[k + j] * x[k + j];
        float blk = ((part[0] + part[4]) + (part[1] + part[5])) + ((part[2] + part[6]) + (part[3] + part[7]));
        for (; k < k1; k++) blk += wv[k] * x[k];
        acc[m] += blk * s;
      }
    }
    for (int64_t m = 0; m < M; m++) p.out[m * p.N + n] = acc[m] + (p.bias ? p.bias[n] : 0.f);
  }
}

void pack_b(const void* w, WeightType, int64_t K, int64_t n0, int64_t nc, int64_t k0, int64_t kc, float* Bp) {
  const auto& p = *static_cast<const Fp8MatmulParams*>(w);
  const auto& T = quant::tables();
  qgemm::pack_panels_portable(n0, nc, k0, kc, Bp, [&](int64_t n, int64_t k) { return T.e4m3[p.w[n * K + k]] * quant::fp8_scale(p, n / p.blockN, k / p.blockK); });
}

}  // namespace

void fp8_matmul(const Fp8MatmulParams& p) {
  if (p.M == 0 || p.N == 0) return;
  if (p.M <= kGemvMaxM) {
    parallel_for(p.N, fp8_grain(p.K), [&](int64_t b, int64_t e) { gemv_rows(p, b, e); });
    return;
  }
  gemm_blocked(as_matmul(p), GemmKernels{qgemm::kPortableMR, qgemm::kPortableNR, qgemm::micro_portable, pack_b});
}

}  // namespace portable

// ---------------------------------------------------------------- avx2
#if PLEXUS_HAS_X86
namespace avx2 {
namespace {

// Software prefetch this far ahead in the weight stream (each thread reads its rows in order): the decode
// keeps the core busy enough that the hardware prefetcher alone leaves DRAM idle (measured: none 340 us,
// 512 B 333 us, 2 KiB 283-306 us, 4 KiB 300-320 us for 2048×4096 on the 2-core dev box).
constexpr int64_t kPrefetchBytes = 2048;

PLEXUS_AVX2 inline void prefetch(const void* p) { _mm_prefetch(static_cast<const char*>(p), _MM_HINT_T0); }

// 16 e4m3 bytes -> 16 floats equal to value / 256: sign-extend to i16, shift the 7 magnitude bits to f16's
// exponent/mantissa position (the sign lands in bit 15), clear the copy of the sign left in bit 14.
PLEXUS_AVX2 static inline void decode16(const uint8_t* p, __m256& lo, __m256& hi) {
  __m256i h = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  h = _mm256_and_si256(_mm256_slli_epi16(h, 7), _mm256_set1_epi16(int16_t(0xBFFF)));
  lo = _mm256_cvtph_ps(_mm256_castsi256_si128(h));
  hi = _mm256_cvtph_ps(_mm256_extracti128_si256(h, 1));
}

// ---- exponent-field decode (block widths that are multiples of 32)

// x row m becomes xs[m] = x · 2^(120 − e[m]) with |x| < 2^e[m], each 32-chunk permuted to the order in
// which decode32 yields weights; the K % 32 tail is kept in order.
PLEXUS_AVX2 void prepare_x(const float* x, int64_t M, int64_t K, float* xs, int32_t* ex) {
  const int64_t K32 = K - K % 32;
  for (int64_t m = 0; m < M; m++) {
    const float* xr = x + m * K;
    float amax = 0.f;
    bool finite = true;
    for (int64_t k = 0; k < K; k++) {
      const float a = std::fabs(xr[k]);
      if (!(a <= 3.4028235e38f)) finite = false;
      else if (a > amax) amax = a;
    }
    const int e = finite && amax > 0.f ? std::ilogb(amax) + 1 : 0;
    ex[m] = e;
    // 2^(120 − e) in [2^-8, 2^268]: applied as up to three exact power-of-two factors
    int up = 120 - e;
    float f[3] = {1.f, 1.f, 1.f};
    for (int i = 0; i < 3 && up != 0; i++) {
      const int step = up > 127 ? 127 : up;
      f[i] = std::ldexp(1.f, step);
      up -= step;
    }
    const __m256 f0 = _mm256_set1_ps(f[0]), f1 = _mm256_set1_ps(f[1]), f2 = _mm256_set1_ps(f[2]);
    float* o = xs + m * K;
    for (int64_t k = 0; k < K32; k += 32) {
      // decode32 yields weights [0-3,16-19], [4-7,20-23], [8-11,24-27], [12-15,28-31]
      for (int q = 0; q < 4; q++) {
        const __m128 lo = _mm_loadu_ps(xr + k + 4 * q), hi = _mm_loadu_ps(xr + k + 16 + 4 * q);
        const __m256 v = _mm256_insertf128_ps(_mm256_castps128_ps256(lo), hi, 1);
        _mm256_storeu_ps(o + k + 8 * q, _mm256_mul_ps(_mm256_mul_ps(_mm256_mul_ps(v, f0), f1), f2));
      }
    }
    for (int64_t k = K32; k < K; k++) o[k] = xr[k] * f[0] * f[1] * f[2];
  }
}

// 32 e4m3 bytes -> 4 × 8 floats equal to value · 2^-120, in the order prepare_x arranges x
// (z = zero, mask = 0x87F0 per word: hoisted by the caller)
PLEXUS_AVX2 static inline void decode32(const uint8_t* p, __m256i z, __m256i mask, __m256& w0, __m256& w1, __m256& w2, __m256& w3) {
  const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
  // byte b into the high half of a word (b << 8), arithmetic shift by 4: sign at bit 15, exponent and
  // mantissa at bits 10..4 = a bf16 with exponent bias 0; the mask clears the sign copies in bits 14..11
  const __m256i a = _mm256_and_si256(_mm256_srai_epi16(_mm256_unpacklo_epi8(z, v), 4), mask);
  const __m256i b = _mm256_and_si256(_mm256_srai_epi16(_mm256_unpackhi_epi8(z, v), 4), mask);
  w0 = _mm256_castsi256_ps(_mm256_unpacklo_epi16(z, a));
  w1 = _mm256_castsi256_ps(_mm256_unpackhi_epi16(z, a));
  w2 = _mm256_castsi256_ps(_mm256_unpacklo_epi16(z, b));
  w3 = _mm256_castsi256_ps(_mm256_unpackhi_epi16(z, b));
}

thread_local std::vector<float> t_block_scales;  // per pool thread: the scales of the current row block

// rows [n0, n1) against prepared x rows [m0, m0 + M)
template <int M>
PLEXUS_AVX2 void gemv_rows_bits(const Fp8MatmulParams& p, const float* xs_all, const int32_t* ex, int64_t n0, int64_t n1, int64_t m0) {
  const auto& T = quant::tables();
  const int64_t K = p.K, N = p.N, bk = p.blockK, bn = p.blockN, nkb = (K + bk - 1) / bk;
  const uint8_t* W = p.w;
  const float* x = p.x + m0 * K;
  const float* xs = xs_all + m0 * K;
  float* out = p.out + m0 * N;
  const float* bias = p.bias;
  const __m256i z = _mm256_setzero_si256(), mask = _mm256_set1_epi16(int16_t(0x87F0));
  if (t_block_scales.size() < size_t(nkb)) t_block_scales.resize(size_t(nkb));
  float* scales = t_block_scales.data();
  int64_t cached_rb = -1;
  // 2^e per x row as two exact factors (e can reach 129): no libm call per output
  float up1[M], up2[M];
  for (int m = 0; m < M; m++) {
    const int e = ex[m0 + m], e1 = e > 127 ? 127 : (e < -126 ? -126 : e);
    up1[m] = std::ldexp(1.f, e1);
    up2[m] = std::ldexp(1.f, e - e1);
  }
  for (int64_t n = n0; n < n1; n++) {
    const uint8_t* w = W + n * K;
    const int64_t rb = n / bn;
    if (rb != cached_rb) {
      for (int64_t kb = 0; kb < nkb; kb++) scales[kb] = quant::fp8_scale(p, rb, kb);
      cached_rb = rb;
    }
    __m256 acc[M];
    float tail[M];
    for (int m = 0; m < M; m++) { acc[m] = _mm256_setzero_ps(); tail[m] = 0.f; }
    int64_t k0 = 0;
    for (int64_t kb = 0; kb < nkb; kb++, k0 += bk) {
      const int64_t k1 = k0 + bk < K ? k0 + bk : K;
      // two block accumulators per x row up to 4 rows, one beyond (8 rows + 4 weight vectors fit the 16 registers)
      constexpr int NB = M <= 4 ? 2 : 1;
      __m256 b[M][NB];
      for (int m = 0; m < M; m++)
        for (int j = 0; j < NB; j++) b[m][j] = _mm256_setzero_ps();
      int64_t k = k0;
      for (; k + 32 <= k1; k += 32) {
        __m256 w0, w1, w2, w3;
        prefetch(w + k + kPrefetchBytes);
        decode32(w + k, z, mask, w0, w1, w2, w3);
        for (int m = 0; m < M; m++) {
          const float* xm = xs + m * K + k;
          b[m][0] = _mm256_fmadd_ps(w0, _mm256_loadu_ps(xm), b[m][0]);
          b[m][NB - 1] = _mm256_fmadd_ps(w1, _mm256_loadu_ps(xm + 8), b[m][NB - 1]);
          b[m][0] = _mm256_fmadd_ps(w2, _mm256_loadu_ps(xm + 16), b[m][0]);
          b[m][NB - 1] = _mm256_fmadd_ps(w3, _mm256_loadu_ps(xm + 24), b[m][NB - 1]);
        }
      }
      const __m256 sv = _mm256_broadcast_ss(scales + kb);
      for (int m = 0; m < M; m++) acc[m] = _mm256_fmadd_ps(NB == 2 ? _mm256_add_ps(b[m][0], b[m][NB - 1]) : b[m][0], sv, acc[m]);
      for (; k < k1; k++) {  // the K % 32 tail, exact from the unscaled x
        const float wv = T.e4m3[w[k]];
        for (int m = 0; m < M; m++) tail[m] += (wv * x[m * K + k]) * scales[kb];
      }
    }
    const float bn_bias = bias ? bias[n] : 0.f;
    for (int m = 0; m < M; m++) out[m * N + n] = (hsum(acc[m]) * up1[m]) * up2[m] + tail[m] + bn_bias;
  }
}

// all x rows (up to kGemvMaxM) in one pass: every weight is decoded once
void gemv_chunk_bits(const Fp8MatmulParams& p, const float* xs, const int32_t* ex, int64_t n0, int64_t n1) {
  switch (p.M) {
    case 1: gemv_rows_bits<1>(p, xs, ex, n0, n1, 0); break;
    case 2: gemv_rows_bits<2>(p, xs, ex, n0, n1, 0); break;
    case 3: gemv_rows_bits<3>(p, xs, ex, n0, n1, 0); break;
    case 4: gemv_rows_bits<4>(p, xs, ex, n0, n1, 0); break;
    case 5: gemv_rows_bits<5>(p, xs, ex, n0, n1, 0); break;
    case 6: gemv_rows_bits<6>(p, xs, ex, n0, n1, 0); break;
    case 7: gemv_rows_bits<7>(p, xs, ex, n0, n1, 0); break;
    default: gemv_rows_bits<8>(p, xs, ex, n0, n1, 0); break;
  }
}

thread_local std::vector<float> t_xs;      // calling thread: prepared activations
thread_local std::vector<int32_t> t_exp;

// ---- vcvtph2ps decode (any block width)

// 8 e4m3 bytes -> 8 exact values (the 2^8 offset multiplied back: |v| <= 448, never overflows)
PLEXUS_AVX2 static inline __m256 decode8(const uint8_t* p) {
  __m128i h = _mm_cvtepi8_epi16(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
  h = _mm_and_si128(_mm_slli_epi16(h, 7), _mm_set1_epi16(int16_t(0xBFFF)));
  return _mm256_mul_ps(_mm256_cvtph_ps(h), _mm256_set1_ps(256.f));
}

// rows [n0, n1) of W against x rows [m0, m0 + M)
template <int M>
PLEXUS_AVX2 void gemv_rows(const Fp8MatmulParams& p, int64_t n0, int64_t n1, int64_t m0) {
  const auto& T = quant::tables();
  const int64_t K = p.K, bk = p.blockK, nkb = (K + bk - 1) / bk;
  const float* x = p.x + m0 * K;
  float* out = p.out + m0 * p.N;
  const __m256 k256 = _mm256_set1_ps(256.f);
  for (int64_t n = n0; n < n1; n++) {
    const uint8_t* w = p.w + n * K;
    const int64_t rb = n / p.blockN;
    __m256 acc[M];
    float tail[M];
    for (int m = 0; m < M; m++) { acc[m] = _mm256_setzero_ps(); tail[m] = 0.f; }
    for (int64_t kb = 0; kb < nkb; kb++) {
      const int64_t k0 = kb * bk, k1 = std::min(K, k0 + bk);
      const float s = quant::fp8_scale(p, rb, kb);
      __m256 b[M][2];
      for (int m = 0; m < M; m++) b[m][0] = b[m][1] = _mm256_setzero_ps();
      int64_t k = k0;
      if constexpr (M == 1) {
        // four independent chains hide the FMA latency
        __m256 b2 = _mm256_setzero_ps(), b3 = _mm256_setzero_ps();
        for (; k + 32 <= k1; k += 32) {
          __m256 w0, w1, w2, w3;
          prefetch(w + k + kPrefetchBytes);
          decode16(w + k, w0, w1);
          decode16(w + k + 16, w2, w3);
          b[0][0] = _mm256_fmadd_ps(w0, _mm256_loadu_ps(x + k), b[0][0]);
          b[0][1] = _mm256_fmadd_ps(w1, _mm256_loadu_ps(x + k + 8), b[0][1]);
          b2 = _mm256_fmadd_ps(w2, _mm256_loadu_ps(x + k + 16), b2);
          b3 = _mm256_fmadd_ps(w3, _mm256_loadu_ps(x + k + 24), b3);
        }
        b[0][0] = _mm256_add_ps(b[0][0], b2);
        b[0][1] = _mm256_add_ps(b[0][1], b3);
      }
      for (; k + 16 <= k1; k += 16) {
        __m256 w0, w1;
        prefetch(w + k + kPrefetchBytes);
        decode16(w + k, w0, w1);
        for (int m = 0; m < M; m++) {
          b[m][0] = _mm256_fmadd_ps(w0, _mm256_loadu_ps(x + m * K + k), b[m][0]);
          b[m][1] = _mm256_fmadd_ps(w1, _mm256_loadu_ps(x + m * K + k + 8), b[m][1]);
        }
      }
      // (block dot · 256) is the true dot, then one FMA applies the scale: no overflow for huge scales
      const __m256 sv = _mm256_set1_ps(s);
      for (int m = 0; m < M; m++) acc[m] = _mm256_fmadd_ps(_mm256_mul_ps(_mm256_add_ps(b[m][0], b[m][1]), k256), sv, acc[m]);
      for (; k < k1; k++) {
        const float wv = T.e4m3[w[k]];
        for (int m = 0; m < M; m++) tail[m] += (wv * x[m * K + k]) * s;
      }
    }
    const float bias = p.bias ? p.bias[n] : 0.f;
    for (int m = 0; m < M; m++) out[m * p.N + n] = hsum(acc[m]) + tail[m] + bias;
  }
}

// x rows in passes of up to 4 (register budget); a chunk's weight rows stay in L1/L2 between passes
void gemv_chunk(const Fp8MatmulParams& p, int64_t n0, int64_t n1) {
  for (int64_t m0 = 0; m0 < p.M; m0 += 4) {
    switch (std::min<int64_t>(4, p.M - m0)) {
      case 1: gemv_rows<1>(p, n0, n1, m0); break;
      case 2: gemv_rows<2>(p, n0, n1, m0); break;
      case 3: gemv_rows<3>(p, n0, n1, m0); break;
      default: gemv_rows<4>(p, n0, n1, m0); break;
    }
  }
}

PLEXUS_AVX2 void pack_b(const void* w, WeightType, int64_t K, int64_t n0, int64_t nc, int64_t k0, int64_t kc, float* Bp) {
  const auto& p = *static_cast<const Fp8MatmulParams*>(w);
  const auto& T = quant::tables();
  const auto scale = [&](int64_t n, int64_t k) { return quant::fp8_scale(p, n / p.blockN, k / p.blockK); };
  qgemm::pack_panels_avx2(
      n0, nc, k0, kc, Bp, p.blockK % 8 == 0,
      [&](int64_t n, int64_t k) PLEXUS_AVX2 { return _mm256_mul_ps(decode8(p.w + n * K + k), _mm256_set1_ps(scale(n, k))); },
      [&](int64_t n, int64_t k) { return T.e4m3[p.w[n * K + k]] * scale(n, k); });
}

}  // namespace

void fp8_matmul(const Fp8MatmulParams& p) {
  if (p.M == 0 || p.N == 0) return;
  if (p.M <= kGemvMaxM && p.blockK % 32 == 0) {
    if (t_xs.size() < size_t(p.M * p.K)) t_xs.resize(size_t(p.M * p.K));
    if (t_exp.size() < size_t(p.M)) t_exp.resize(size_t(p.M));
    float* xs = t_xs.data();  // named here, on the calling thread: pool tasks get the pointers
    int32_t* ex = t_exp.data();
    prepare_x(p.x, p.M, p.K, xs, ex);
    parallel_for(p.N, fp8_grain(p.K), [&](int64_t b, int64_t e) { gemv_chunk_bits(p, xs, ex, b, e); });
    return;
  }
  if (p.M <= kGemvMaxM) {
    parallel_for(p.N, fp8_grain(p.K), [&](int64_t b, int64_t e) { gemv_chunk(p, b, e); });
    return;
  }
  gemm_blocked(as_matmul(p), GemmKernels{qgemm::kAvx2MR, qgemm::kAvx2NR, qgemm::micro_avx2, pack_b});
}

}  // namespace avx2
#else
namespace avx2 {
void fp8_matmul(const Fp8MatmulParams& p) { portable::fp8_matmul(p); }
}  // namespace avx2
#endif

// ---------------------------------------------------------------- load-time validation

int64_t fp8_first_nan(const uint8_t* p, int64_t n) {
  std::atomic<int64_t> first{n};
  parallel_for(n, int64_t(1) << 20, [&](int64_t b, int64_t e) {
    int64_t i = b;
    // 8 bytes at a time: a byte whose low 7 bits are all ones becomes 0x80 after +1 (never carries)
    for (; i + 8 <= e; i += 8) {
      uint64_t v;
      std::memcpy(&v, p + i, 8);
      const uint64_t t = (v & 0x7F7F7F7F7F7F7F7FULL) + 0x0101010101010101ULL;
      if (t & 0x8080808080808080ULL) break;
    }
    for (; i < e; i++) {
      if ((p[i] & 0x7F) == 0x7F) {
        int64_t cur = first.load();
        while (i < cur && !first.compare_exchange_weak(cur, i)) {}
        return;
      }
    }
  });
  const int64_t f = first.load();
  return f == n ? -1 : f;
}

}  // namespace plexus
