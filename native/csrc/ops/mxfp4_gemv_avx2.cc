// MXFP4 GEMV, AVX2: out = W · x for a few activation rows, weights in the superblock layout of
// mxfp4_layout.h. On a 2-core machine this kernel is compute bound, so the inner loop is built around the
// integer multipliers (two vpmaddubsw per cycle):
//  - codes become int8 through pshufb with the E2M1 table doubled and offset by 12 (u = 2·v + 12 in
//    0..24, unsigned), one pshufb per 32 codes;
//  - activations are int16 per 32-block (x ≈ q · 2^e, 15 bits), kept as q = 256·qh + ql with both bytes
//    signed: u8·s8 products with vpmaddubsw give Σ u·q exactly in int16 pairs (no saturation: four pairs
//    of two slices stay within 4·2·24·128), vpmaddwd widens them per 32-bit lane = per block;
//  - the offset is removed with a per-block correction 12·Σq computed with the activations;
//  - per superblock one vector op applies the 8 block scales: the int32 block sums (< 2^24, exact in
//    f32) times 2^(e−1) times 2^(s−127) (E8M0 bits shifted into a float's exponent). Each product is
//    exact, so the only rounding is the f32 accumulation — as long as the activation exponents keep the
//    partial products normal floats; prepare() flags calls where they might not, and those take the
//    float path.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>

#include "common/simd_avx2.h"
#include "ops/mxfp4_gemv.h"
#include "ops/mxfp4_layout.h"
#include "ops/quant_common.h"
#include "threadpool.h"

#if PLEXUS_HAS_X86
namespace plexus::mxfp4::avx2 {

using plexus::avx2::hsum;

namespace {

constexpr int64_t kPrefetchBytes = 2048;  // ahead in the weight stream (each thread reads its rows in order)
constexpr int kMaxRowsPerPass = 4;        // activation rows per pass over a weight row (register budget)
// Exponent range of the integer path: t = d · 2^(e−1) with |d| ≤ 32 · 12 · 32768 = 1.5 · 2^23 must be exact:
// at most 1.5 · 2^127 (finite) and 2^(e−1) itself representable (≥ 2^-149, a denormal is fine: t is then a
// multiple of it, and t times the scale is exact again).
constexpr int kMinExp = -148, kMaxExp = 105;

PLEXUS_AVX2 inline void prefetch(const void* p) { _mm_prefetch(static_cast<const char*>(p), _MM_HINT_T0); }

// E2M1 code -> 2·value + 12, as bytes (both 128-bit lanes)
PLEXUS_AVX2 inline __m256i offset_table() {
  return _mm256_setr_epi8(12, 13, 14, 15, 16, 18, 20, 24, 12, 11, 10, 9, 8, 6, 4, 0,
                          12, 13, 14, 15, 16, 18, 20, 24, 12, 11, 10, 9, 8, 6, 4, 0);
}

// ---------------------------------------------------------------- activations

// One 32-block of x: q, correction and factor, written at its place in the prepared row.
PLEXUS_AVX2 void quantize_block(const float* xb, uint8_t* super_q, int lane, int32_t* corr, float* xf, std::atomic<bool>& exact) {
  const __m256 absmask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF));
  const __m256 v0 = _mm256_loadu_ps(xb), v1 = _mm256_loadu_ps(xb + 8), v2 = _mm256_loadu_ps(xb + 16), v3 = _mm256_loadu_ps(xb + 24);
  // max of |bits| as integers: NaN (above inf's bits) wins, unlike max_ps
  const __m256i a = _mm256_max_epi32(_mm256_max_epi32(_mm256_castps_si256(_mm256_and_ps(v0, absmask)), _mm256_castps_si256(_mm256_and_ps(v1, absmask))),
                                     _mm256_max_epi32(_mm256_castps_si256(_mm256_and_ps(v2, absmask)), _mm256_castps_si256(_mm256_and_ps(v3, absmask))));
  alignas(32) int32_t lanes[8];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), a);
  int32_t bits = 0;
  for (int l = 0; l < 8; l++) bits = std::max(bits, lanes[l]);
  if (bits >= 0x7F800000 || bits == 0) {  // inf / NaN, or all zeros: q = 0 and the factor says which
    for (int g = 0; g < 8; g++) {
      std::memset(super_q + 64 * g + 4 * lane, 0, 4);
      std::memset(super_q + 64 * g + 32 + 4 * lane, 0, 4);
    }
    *corr = 0;
    *xf = bits == 0 ? 0.f : NAN;
    return;
  }
  float amax;
  std::memcpy(&amax, &bits, 4);
  int e = std::ilogb(amax) - 14;  // amax · 2^-e in [2^14, 2^15)
  // q = 256·hi + lo with both bytes signed needs q ≤ 32639 (hi ≤ 127): a block whose maximum would round
  // above that takes one bit less
  if (std::ldexp(double(amax), -e) >= 32639.5) e += 1;
  if (e < kMinExp || e > kMaxExp) exact.store(true, std::memory_order_relaxed);
  int up = -e;  // in [-114, 163]: applied as two exact power-of-two factors
  const float m1 = up > 127 ? std::ldexp(1.f, 127) : 1.f;
  if (up > 127) up -= 127;
  const __m256 f1 = _mm256_set1_ps(m1), f2 = _mm256_set1_ps(std::ldexp(1.f, up));
  const __m256i lo = _mm256_set1_epi32(-32768), hi = _mm256_set1_epi32(32639);
  const __m256 v[4] = {v0, v1, v2, v3};
  // within each 128-bit lane (4 elements): bytes 0-3 = low bytes, bytes 4-7 = high bytes
  const __m256i split = _mm256_setr_epi8(0, 4, 8, 12, 1, 5, 9, 13, -1, -1, -1, -1, -1, -1, -1, -1,
                                         0, 4, 8, 12, 1, 5, 9, 13, -1, -1, -1, -1, -1, -1, -1, -1);
  __m256i sum = _mm256_setzero_si256();
  for (int k = 0; k < 4; k++) {  // elements 8k..8k+7 = slice k, low half (lane 0) and high half (lane 1)
    __m256i q = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_mul_ps(v[k], f1), f2));
    q = _mm256_min_epi32(_mm256_max_epi32(q, lo), hi);
    sum = _mm256_add_epi32(sum, q);
    // q = 256·qh + ql with ql in [-128, 127]: qh = (q + 128) >> 8
    const __m256i qh = _mm256_srai_epi32(_mm256_add_epi32(q, _mm256_set1_epi32(128)), 8);
    const __m256i ql = _mm256_sub_epi32(q, _mm256_slli_epi32(qh, 8));
    __m256i b = _mm256_or_si256(_mm256_and_si256(ql, _mm256_set1_epi32(0xFF)), _mm256_slli_epi32(_mm256_and_si256(qh, _mm256_set1_epi32(0xFF)), 8));
    b = _mm256_shuffle_epi8(b, split);
    uint8_t* g0 = super_q + 128 * k + 4 * lane;  // half 0
    uint8_t* g1 = g0 + 64;                        // half 1
    const int32_t l0 = _mm256_extract_epi32(b, 0), h0 = _mm256_extract_epi32(b, 1);
    const int32_t l1 = _mm256_extract_epi32(b, 4), h1 = _mm256_extract_epi32(b, 5);
    std::memcpy(g0, &l0, 4);
    std::memcpy(g0 + 32, &h0, 4);
    std::memcpy(g1, &l1, 4);
    std::memcpy(g1 + 32, &h1, 4);
  }
  alignas(32) int32_t s[8];
  _mm256_store_si256(reinterpret_cast<__m256i*>(s), sum);
  *corr = 12 * (s[0] + s[1] + s[2] + s[3] + s[4] + s[5] + s[6] + s[7]);
  *xf = std::ldexp(1.f, e - 1);
}

// ---------------------------------------------------------------- scales

// Whether a row has an E8M0 scale of 0 (2^-127, a denormal) or 0xFF (NaN): those need the table below.
PLEXUS_AVX2 inline bool has_special_scale(const uint8_t* s, int64_t nb) {
  const __m256i zero = _mm256_setzero_si256(), ff = _mm256_set1_epi8(-1);
  int64_t i = 0;
  for (; i + 32 <= nb; i += 32) {
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s + i));
    if (_mm256_movemask_epi8(_mm256_or_si256(_mm256_cmpeq_epi8(v, zero), _mm256_cmpeq_epi8(v, ff)))) return true;
  }
  for (; i < nb; i++)
    if (s[i] == 0 || s[i] == 0xFF) return true;
  return false;
}

// The 8 block scales of a superblock as floats 2^(s − 127): E8M0 bytes 1..254 shifted into the exponent
// field are exactly that; rows with a 0 or 0xFF scale read the table instead (kTable).
template <bool kTable>
PLEXUS_AVX2 inline __m256 block_scales(const uint8_t* s) {
  if constexpr (kTable) {
    const auto& T = quant::tables();
    alignas(32) float f[8];
    for (int i = 0; i < 8; i++) f[i] = T.e8m0[s[i]];
    return _mm256_load_ps(f);
  } else {
    int64_t v;
    std::memcpy(&v, s, 8);
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu8_epi32(_mm_cvtsi64_si128(v)), 23));
  }
}

// ---------------------------------------------------------------- kernel

// One weight row against M prepared activation rows; returns the M dot products in out[m * ldo].
template <int M, bool kTable>
PLEXUS_AVX2 void row_dot(const uint8_t* codes, const uint8_t* scales, int64_t nb, const uint8_t* const* xq, const int32_t* const* corr,
                         const float* const* xf, float* out, int64_t ldo) {
  const __m256i lut = offset_table(), m4 = _mm256_set1_epi8(0x0F), ones = _mm256_set1_epi16(1), k256 = _mm256_set1_epi16(256);
  __m256 acc[M];
  for (int m = 0; m < M; m++) acc[m] = _mm256_setzero_ps();
  const int64_t supers = (nb + kSuperBlocks - 1) / kSuperBlocks;
  alignas(32) uint8_t tail_codes[kSuperBytes];
  uint8_t tail_scales[kSuperBlocks];
  for (int64_t sb = 0; sb < supers; sb++) {
    const uint8_t* c = codes + sb * kSuperBytes;
    const uint8_t* s = scales + sb * kSuperBlocks;
    const int n = blocks_in_super(nb, sb);
    if (n < kSuperBlocks) {  // the row's last, partial superblock: pad to a full one (code 0, scale 2^0)
      std::memset(tail_codes, 0, sizeof tail_codes);
      for (int t = 0; t < kSlices; t++) std::memcpy(tail_codes + 32 * t, c + 4 * n * t, size_t(4 * n));
      std::memset(tail_scales, 127, sizeof tail_scales);
      std::memcpy(tail_scales, s, size_t(n));
      c = tail_codes;
      s = tail_scales;
    } else {
      prefetch(c + kPrefetchBytes);
      prefetch(c + kPrefetchBytes + 64);
    }
    __m256i d[M];
    for (int m = 0; m < M; m++) d[m] = _mm256_setzero_si256();
    // two slices per step: with both activation bytes signed, four u·x8 pairs stay within int16
    // (|pair| ≤ 2·24·128 = 6144), so each half of the sums is widened once per two slices
    for (int t = 0; t < kSlices; t += 2) {
      const __m256i v0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(c + 32 * t));
      const __m256i v1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(c + 32 * t + 32));
      const __m256i ul0 = _mm256_shuffle_epi8(lut, _mm256_and_si256(v0, m4));
      const __m256i uh0 = _mm256_shuffle_epi8(lut, _mm256_and_si256(_mm256_srli_epi16(v0, 4), m4));
      const __m256i ul1 = _mm256_shuffle_epi8(lut, _mm256_and_si256(v1, m4));
      const __m256i uh1 = _mm256_shuffle_epi8(lut, _mm256_and_si256(_mm256_srli_epi16(v1, 4), m4));
      for (int m = 0; m < M; m++) {
        const __m256i* X = reinterpret_cast<const __m256i*>(xq[m] + sb * kXBytesPerSuper + 128 * t);
        // per slice: [0] low bytes, low nibbles; [1] high bytes, low nibbles; [2], [3] the same for the high nibbles
        const __m256i lo = _mm256_add_epi16(
            _mm256_add_epi16(_mm256_maddubs_epi16(ul0, _mm256_loadu_si256(X)), _mm256_maddubs_epi16(uh0, _mm256_loadu_si256(X + 2))),
            _mm256_add_epi16(_mm256_maddubs_epi16(ul1, _mm256_loadu_si256(X + 4)), _mm256_maddubs_epi16(uh1, _mm256_loadu_si256(X + 6))));
        const __m256i hi = _mm256_add_epi16(
            _mm256_add_epi16(_mm256_maddubs_epi16(ul0, _mm256_loadu_si256(X + 1)), _mm256_maddubs_epi16(uh0, _mm256_loadu_si256(X + 3))),
            _mm256_add_epi16(_mm256_maddubs_epi16(ul1, _mm256_loadu_si256(X + 5)), _mm256_maddubs_epi16(uh1, _mm256_loadu_si256(X + 7))));
        d[m] = _mm256_add_epi32(d[m], _mm256_add_epi32(_mm256_madd_epi16(lo, ones), _mm256_madd_epi16(hi, k256)));
      }
    }
    const __m256 ws = block_scales<kTable>(s);
    for (int m = 0; m < M; m++) {
      const __m256i dot = _mm256_sub_epi32(d[m], _mm256_loadu_si256(reinterpret_cast<const __m256i*>(corr[m] + sb * kSuperBlocks)));
      const __m256 t = _mm256_mul_ps(_mm256_cvtepi32_ps(dot), _mm256_loadu_ps(xf[m] + sb * kSuperBlocks));
      acc[m] = _mm256_fmadd_ps(t, ws, acc[m]);
    }
  }
  for (int m = 0; m < M; m++) out[m * ldo] = hsum(acc[m]);
}

template <int M>
PLEXUS_AVX2 void rows_pass(const Mxfp4Matrix& w, int64_t r0, int64_t r1, const XRows& x, const int32_t* idx, float* out, int64_t ldo,
                           int64_t col_base) {
  const int64_t K = w.cols, nb = K / 32, per_row = x.supers * kSuperBlocks;
  const uint8_t* xq[M];
  const int32_t* corr[M];
  const float* xf[M];
  for (int m = 0; m < M; m++) {
    const int64_t row = idx[m];
    xq[m] = x.q + row * x.supers * kXBytesPerSuper;
    corr[m] = x.corr + row * per_row;
    xf[m] = x.xf + row * per_row;
  }
  for (int64_t r = r0; r < r1; r++) {
    const uint8_t* scales = w.scales + r * nb;
    if (has_special_scale(scales, nb)) row_dot<M, true>(w.codes + r * (K / 2), scales, nb, xq, corr, xf, out + (r - col_base), ldo);
    else row_dot<M, false>(w.codes + r * (K / 2), scales, nb, xq, corr, xf, out + (r - col_base), ldo);
  }
}

}  // namespace

void prepare(const float* x, int64_t rows, int64_t K, XBuffers& st, XRows& out) {
  const int64_t nb = K / 32, supers = (nb + kSuperBlocks - 1) / kSuperBlocks, per_row = supers * kSuperBlocks;
  const size_t nq = size_t(rows * supers * kXBytesPerSuper), nblk = size_t(rows * per_row);
  if (st.corr.size() < nblk) st.corr.resize(nblk);
  if (st.xf.size() < nblk) st.xf.resize(nblk);
  uint8_t* q = reinterpret_cast<uint8_t*>(st.q.get((nq + 3) / 4));
  int32_t* corr = st.corr.data();
  float* xf = st.xf.data();
  // padding lanes of a partial last superblock: q = 0, correction 0, factor 0
  if (nb % kSuperBlocks) {
    for (int64_t r = 0; r < rows; r++) {
      std::memset(q + (r * supers + supers - 1) * kXBytesPerSuper, 0, kXBytesPerSuper);
      for (int64_t b = nb; b < per_row; b++) { corr[r * per_row + b] = 0; xf[r * per_row + b] = 0.f; }
    }
  }
  std::atomic<bool> exact{false};
  // 32 blocks per task: one 4096-wide row already splits over the pool (~1 us saved per call)
  parallel_for(rows * nb, 32, [&](int64_t b0, int64_t b1) {
    for (int64_t i = b0; i < b1; i++) {
      const int64_t r = i / nb, b = i % nb;
      quantize_block(x + r * K + b * 32, q + (r * supers + b / kSuperBlocks) * kXBytesPerSuper, int(b % kSuperBlocks),
                     corr + r * per_row + b, xf + r * per_row + b, exact);
    }
  });
  out = XRows{x, q, corr, xf, K, supers, exact.load()};
}

void gemv(const Mxfp4Matrix& w, int64_t r0, int64_t r1, const XRows& x, const int32_t* idx, int64_t n, float* out, int64_t ldo, int64_t col_base) {
  // up to 4 activation rows per pass (one decode per slice serves them all); a task's weight rows stay in
  // L1/L2 between passes
  for (int64_t i = 0; i < n; i += kMaxRowsPerPass) {
    float* o = out + i * ldo;
    switch (std::min<int64_t>(kMaxRowsPerPass, n - i)) {
      case 1: rows_pass<1>(w, r0, r1, x, idx + i, o, ldo, col_base); break;
      case 2: rows_pass<2>(w, r0, r1, x, idx + i, o, ldo, col_base); break;
      case 3: rows_pass<3>(w, r0, r1, x, idx + i, o, ldo, col_base); break;
      default: rows_pass<4>(w, r0, r1, x, idx + i, o, ldo, col_base); break;
    }
  }
}

}  // namespace plexus::mxfp4::avx2
#endif
