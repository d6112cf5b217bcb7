// MXFP4 kernels: matmul (out = x · Wᵀ) and the routed experts of one MoE layer, on the internal layout of
// quant_kernels.h (codes [rows, cols/2] split-half per 32-block, E8M0 scales [rows, cols/32]).
//
// GEMV (few rows of x): every weight row is streamed once.
//  - AVX2: activations are first quantized to int16 with one power-of-two exponent per 32 values
//    (x ≈ q · 2^e, |q| in [2^14, 2^15): ~15 bits, far below f32 rounding of the sums); per 32-block the
//    16 code bytes are split into nibbles, mapped through the E2M1 table doubled as int8 with pshufb
//    (±{0,1,2,3,4,6,8,12}), widened to int16 and multiplied by vpmaddwd into exact int32 sums; one FMA
//    per block applies 2^(e + scale − 128) taken from a power-of-two table, so the block's contribution
//    is exact until the f32 accumulation and no scale can overflow or flush early.
//  - portable: exact float E2M1 values, block dot, times the block scale.
// GEMM (many rows): gemm_blocked over weight panels dequantized to f32 once per K block (a weight above
// FLT_MAX, i.e. 4 or 6 · 2^127, becomes inf there, as in any f32 dequantization).
// MoE: tokens arrive grouped by expert; experts with few tokens run as GEMV tasks spread over the pool
// (gate and up rows of a unit are adjacent, so SwiGLU with the clamp is applied in the same task), experts
// with many tokens as GEMMs; then each token sums its slots in slot order.
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
constexpr int64_t kGemvMaxRows = 8;  // above this many activation rows per matrix, the GEMM path wins
constexpr int64_t kTaskBytes = 32 * 1024;

int64_t row_bytes(int64_t cols) { return cols / 2 + cols / 32; }
int64_t rows_per_task(int64_t cols) { return std::max<int64_t>(1, kTaskBytes / std::max<int64_t>(1, row_bytes(cols))); }

Mxfp4Matrix sub_matrix(const Mxfp4Matrix& m, int64_t row0, int64_t rows) {
  return Mxfp4Matrix{m.codes + row0 * (m.cols / 2), m.scales + row0 * (m.cols / 32), rows, m.cols};
}

MatmulParams as_matmul(float* out, const float* x, const Mxfp4Matrix* w, int64_t M, const float* bias) {
  return MatmulParams{out, x, w, WeightType::F32, M, w->rows, w->cols, bias};
}

// int16 activations, one exponent per 32 values (AVX2 path; the portable path reads the floats)
struct XStore {
  std::vector<int16_t> q;
  std::vector<int32_t> e;
};

// NaN marker for a block with a non-finite value, and the E8M0 NaN (0xFF): both land in the table's NaN range
constexpr int32_t kNaNExp = 1500;
constexpr int kPow2Lo = -400, kPow2Hi = 3200, kPow2NaNFrom = 1000;

struct Pow2 {
  float v[kPow2Hi - kPow2Lo];
  int32_t scale_exp[256];  // E8M0 byte b -> b - 128 (the int8 table holds doubled values); 0xFF -> NaN marker
  Pow2() {
    for (int i = kPow2Lo; i < kPow2Hi; i++) {
      float f;
      if (i >= kPow2NaNFrom) f = NAN;
      else if (i > 127) f = INFINITY;
      else if (i < -149) f = 0.f;
      else f = std::ldexp(1.f, i);
      v[i - kPow2Lo] = f;
    }
    for (int b = 0; b < 256; b++) scale_exp[b] = b == 255 ? kNaNExp : b - 128;
  }
  // &v[0] stands for 2^0
  const float* zero() const { return v - kPow2Lo; }
};

const Pow2& pow2_table() {
  static const Pow2 t;
  return t;
}

// The GEMV/GEMM kernels of one implementation.
struct Backend {
  // prepares `rows` activation rows of length K for gemv (avx2: int16 quantization into st)
  void (*prepare)(const float* x, int64_t rows, int64_t K, XStore& st, quant::XRows& out);
  // out[i * ldo + (r - col_base)] = W[r] · x[idx[i]] for r in [r0, r1), i < n
  void (*gemv)(const Mxfp4Matrix& w, int64_t r0, int64_t r1, const quant::XRows& x, const int32_t* idx, int64_t n, float* out, int64_t ldo, int64_t col_base);
  GemmKernels gemm;
};

thread_local std::vector<int32_t> t_iota;

const int32_t* iota(int64_t n) {
  if (t_iota.size() < size_t(n)) {
    const size_t old = t_iota.size();
    t_iota.resize(size_t(n));
    for (size_t i = old; i < t_iota.size(); i++) t_iota[i] = int32_t(i);
  }
  return t_iota.data();
}

// ---------------------------------------------------------------- shared drivers

void matmul_with(const Mxfp4MatmulParams& p, const Backend& be) {
  const int64_t M = p.M, N = p.w.rows, K = p.w.cols;
  if (M == 0 || N == 0) return;
  if (M > kGemvMaxRows) {
    gemm_blocked(as_matmul(p.out, p.x, &p.w, M, p.bias), be.gemm);
    return;
  }
  thread_local XStore st;
  quant::XRows xr;
  be.prepare(p.x, M, K, st, xr);
  const int32_t* idx = iota(M);
  parallel_for(N, rows_per_task(K), [&](int64_t b, int64_t e) { be.gemv(p.w, b, e, xr, idx, M, p.out, N, 0); });
  if (p.bias)
    for (int64_t m = 0; m < M; m++)
      for (int64_t n = 0; n < N; n++) p.out[m * N + n] += p.bias[n];
}

struct MoeTask {
  int64_t a;       // index into experts
  int64_t r0, r1;  // gate/up: unit range; down: output row range
};

void moe_with(const Mxfp4MoeParams& p, const Backend& be) {
  const int64_t T = p.T, H = p.H, I = p.I, S = p.S;
  std::fill(p.out, p.out + T * H, 0.f);
  if (S == 0 || H == 0) return;

  thread_local std::vector<float> h_buf, y_buf, xg_buf, gu_buf;
  thread_local XStore xst, hst;
  if (h_buf.size() < size_t(S * I)) h_buf.resize(size_t(S * I));
  if (y_buf.size() < size_t(S * H)) y_buf.resize(size_t(S * H));
  float* h = h_buf.data();
  float* y = y_buf.data();
  const auto act = [&](float g, float u) { return quant::expert_act(g, u, p.has_limit, p.limit, p.alpha, p.upOffset); };

  // split experts: few tokens -> GEMV tasks over the pool, many -> one GEMM each
  std::vector<MoeTask> up_tasks, down_tasks;
  std::vector<int64_t> gemm_experts;
  const int64_t units_per_task = std::max<int64_t>(1, rows_per_task(H) / 2);
  const int64_t down_per_task = rows_per_task(I);
  int64_t max_gemm_n = 0;
  for (int64_t a = 0; a < p.nActive; a++) {
    const int64_t n = p.expertStart[a + 1] - p.expertStart[a];
    if (n == 0) continue;
    if (n > kGemvMaxRows) {
      gemm_experts.push_back(a);
      max_gemm_n = std::max(max_gemm_n, n);
      continue;
    }
    for (int64_t u0 = 0; u0 < I; u0 += units_per_task) up_tasks.push_back({a, u0, std::min(I, u0 + units_per_task)});
    for (int64_t r0 = 0; r0 < H; r0 += down_per_task) down_tasks.push_back({a, r0, std::min(H, r0 + down_per_task)});
  }

  // ---- gate/up + activation -> h[slot, I]
  quant::XRows xr;
  if (!up_tasks.empty()) be.prepare(p.x, T, H, xst, xr);
  parallel_tasks(int64_t(up_tasks.size()), [&](int64_t t) {
    thread_local std::vector<float> local;
    const MoeTask& task = up_tasks[size_t(t)];
    const int64_t e = p.experts[task.a], s0 = p.expertStart[task.a], n = p.expertStart[task.a + 1] - s0;
    const int64_t units = task.r1 - task.r0, row0 = e * 2 * I + 2 * task.r0;
    if (local.size() < size_t(n * 2 * units)) local.resize(size_t(n * 2 * units));
    be.gemv(p.gateUp, row0, row0 + 2 * units, xr, p.slotToken + s0, n, local.data(), 2 * units, row0);
    for (int64_t i = 0; i < n; i++) {
      const float* gu = local.data() + i * 2 * units;
      float* hrow = h + (s0 + i) * I + task.r0;
      for (int64_t j = 0; j < units; j++) {
        float g = gu[2 * j], u = gu[2 * j + 1];
        if (p.gateUpBias) { g += p.gateUpBias[row0 + 2 * j]; u += p.gateUpBias[row0 + 2 * j + 1]; }
        hrow[j] = act(g, u);
      }
    }
  });
  if (!gemm_experts.empty()) {
    if (xg_buf.size() < size_t(max_gemm_n * H)) xg_buf.resize(size_t(max_gemm_n * H));
    if (gu_buf.size() < size_t(max_gemm_n * 2 * I)) gu_buf.resize(size_t(max_gemm_n * 2 * I));
  }
  // (thread_local buffers are named only here, on the calling thread: inside a pool task the same name
  // would be the worker's own, empty, instance)
  float* xg = xg_buf.data();
  float* gu_all = gu_buf.data();
  for (int64_t a : gemm_experts) {
    const int64_t e = p.experts[a], s0 = p.expertStart[a], n = p.expertStart[a + 1] - s0;
    for (int64_t i = 0; i < n; i++) std::memcpy(xg + i * H, p.x + int64_t(p.slotToken[s0 + i]) * H, size_t(H) * 4);
    const Mxfp4Matrix w = sub_matrix(p.gateUp, e * 2 * I, 2 * I);
    gemm_blocked(as_matmul(gu_all, xg, &w, n, p.gateUpBias ? p.gateUpBias + e * 2 * I : nullptr), be.gemm);
    parallel_for(n, 1, [&](int64_t b, int64_t end) {
      for (int64_t i = b; i < end; i++) {
        const float* gu = gu_all + i * 2 * I;
        float* hrow = h + (s0 + i) * I;
        for (int64_t j = 0; j < I; j++) hrow[j] = act(gu[2 * j], gu[2 * j + 1]);
      }
    });
  }

  // ---- down, bias, routing weight -> y[slot, H]
  quant::XRows hr;
  if (!down_tasks.empty()) be.prepare(h, S, I, hst, hr);
  const int32_t* slots = iota(S);
  parallel_tasks(int64_t(down_tasks.size()), [&](int64_t t) {
    const MoeTask& task = down_tasks[size_t(t)];
    const int64_t e = p.experts[task.a], s0 = p.expertStart[task.a], n = p.expertStart[task.a + 1] - s0;
    const int64_t row0 = e * H + task.r0;
    float* ybase = y + s0 * H + task.r0;
    be.gemv(p.down, row0, e * H + task.r1, hr, slots + s0, n, ybase, H, row0);
    for (int64_t i = 0; i < n; i++) {
      float* yrow = ybase + i * H;
      const float wt = p.slotWeight[s0 + i];
      for (int64_t r = 0; r < task.r1 - task.r0; r++) yrow[r] = (yrow[r] + (p.downBias ? p.downBias[row0 + r] : 0.f)) * wt;
    }
  });
  for (int64_t a : gemm_experts) {
    const int64_t e = p.experts[a], s0 = p.expertStart[a], n = p.expertStart[a + 1] - s0;
    const Mxfp4Matrix w = sub_matrix(p.down, e * H, H);
    gemm_blocked(as_matmul(y + s0 * H, h + s0 * I, &w, n, p.downBias ? p.downBias + e * H : nullptr), be.gemm);
    for (int64_t i = 0; i < n; i++) {
      float* yrow = y + (s0 + i) * H;
      const float wt = p.slotWeight[s0 + i];
      for (int64_t r = 0; r < H; r++) yrow[r] *= wt;
    }
  }

  // ---- every token sums its slots, in slot order (deterministic)
  std::vector<int32_t> first(size_t(T + 1), 0);
  std::vector<int32_t> order(static_cast<size_t>(S));
  for (int64_t s = 0; s < S; s++) first[size_t(p.slotToken[s]) + 1]++;
  for (int64_t t = 0; t < T; t++) first[size_t(t + 1)] += first[size_t(t)];
  {
    std::vector<int32_t> cursor(first.begin(), first.end() - 1);
    for (int64_t s = 0; s < S; s++) order[size_t(cursor[size_t(p.slotToken[s])]++)] = int32_t(s);
  }
  parallel_for(T, std::max<int64_t>(1, 4096 / H), [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; t++) {
      float* o = p.out + t * H;
      for (int32_t j = first[size_t(t)]; j < first[size_t(t + 1)]; j++) {
        const float* yrow = y + int64_t(order[size_t(j)]) * H;
        for (int64_t r = 0; r < H; r++) o[r] += yrow[r];
      }
    }
  });
}

}  // namespace

// ---------------------------------------------------------------- portable
namespace portable {
namespace {

void prepare(const float* x, int64_t, int64_t K, XStore&, quant::XRows& out) {
  out.f = x;
  out.K = K;
}

thread_local std::vector<float> t_vals;

void gemv(const Mxfp4Matrix& w, int64_t r0, int64_t r1, const quant::XRows& x, const int32_t* idx, int64_t n, float* out, int64_t ldo, int64_t col_base) {
  const auto& T = quant::tables();
  const int64_t K = w.cols, nb = K / 32;
  if (t_vals.size() < size_t(K)) t_vals.resize(size_t(K));
  float* v = t_vals.data();
  for (int64_t r = r0; r < r1; r++) {
    const uint8_t* c = w.codes + r * (K / 2);
    const uint8_t* s = w.scales + r * nb;
    for (int64_t b = 0; b < nb; b++)
      for (int j = 0; j < 16; j++) {
        const uint8_t byte = c[b * 16 + j];
        v[b * 32 + j] = T.e2m1[byte & 15];
        v[b * 32 + j + 16] = T.e2m1[byte >> 4];
      }
    for (int64_t i = 0; i < n; i++) {
      const float* xr = x.f + int64_t(idx[i]) * K;
      float acc = 0.f;
      for (int64_t b = 0; b < nb; b++) {
        float part[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        for (int j = 0; j < 32; j += 8)
          for (int l = 0; l < 8; l++) part[l] += v[b * 32 + j + l] * xr[b * 32 + j + l];
        const float blk = ((part[0] + part[4]) + (part[1] + part[5])) + ((part[2] + part[6]) + (part[3] + part[7]));
        acc += blk * T.e8m0[s[b]];
      }
      out[i * ldo + (r - col_base)] = acc;
    }
  }
}

void pack_b(const void* wp, WeightType, int64_t K, int64_t n0, int64_t nc, int64_t k0, int64_t kc, float* Bp) {
  const auto& w = *static_cast<const Mxfp4Matrix*>(wp);
  const auto& T = quant::tables();
  constexpr int NR = qgemm::kPortableNR;
  const int64_t qn = (nc + NR - 1) / NR;
  for (int64_t q = 0; q < qn; q++) {
    float* dst = Bp + q * kc * NR;
    for (int j = 0; j < NR; j++) {
      const int64_t c = q * NR + j;
      if (c >= nc) {
        for (int64_t kk = 0; kk < kc; kk++) dst[kk * NR + j] = 0.f;
        continue;
      }
      const uint8_t* codes = w.codes + (n0 + c) * (K / 2);
      const uint8_t* scales = w.scales + (n0 + c) * (K / 32);
      for (int64_t kk = 0; kk < kc; kk++) {
        const int64_t k = k0 + kk;
        dst[kk * NR + j] = T.e2m1[quant::mxfp4_code(codes, k)] * T.e8m0[scales[k >> 5]];
      }
    }
  }
}

const Backend kBackend{prepare, gemv, GemmKernels{qgemm::kPortableMR, qgemm::kPortableNR, qgemm::micro_portable, pack_b}};

}  // namespace

void mxfp4_matmul(const Mxfp4MatmulParams& p) { matmul_with(p, kBackend); }
void mxfp4_moe(const Mxfp4MoeParams& p) { moe_with(p, kBackend); }

}  // namespace portable

// ---------------------------------------------------------------- avx2
#if PLEXUS_HAS_X86
namespace avx2 {
namespace {

// E2M1 values doubled, as int8: code c -> 2 · value(c)
PLEXUS_AVX2 static inline __m128i e2m1x2_table() { return _mm_setr_epi8(0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12); }

// x ≈ q · 2^e per 32 values with max |q| in [2^14, 2^15]; non-finite blocks get the NaN marker.
// Blocks [b0, b1) of the flattened rows (each row is K/32 blocks).
PLEXUS_AVX2 void quantize_blocks(const float* x, int16_t* q, int32_t* qe, int64_t b0, int64_t b1) {
  const __m256 absmask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF));
  for (int64_t blk = b0; blk < b1; blk++) {
    const float* xb = x + blk * 32;
    int16_t* qb = q + blk * 32;
    const __m256 v0 = _mm256_loadu_ps(xb), v1 = _mm256_loadu_ps(xb + 8), v2 = _mm256_loadu_ps(xb + 16), v3 = _mm256_loadu_ps(xb + 24);
    // max of |bits| as integers: NaN (above inf's bits) wins, unlike max_ps
    const __m256i a = _mm256_max_epi32(_mm256_max_epi32(_mm256_castps_si256(_mm256_and_ps(v0, absmask)), _mm256_castps_si256(_mm256_and_ps(v1, absmask))),
                                       _mm256_max_epi32(_mm256_castps_si256(_mm256_and_ps(v2, absmask)), _mm256_castps_si256(_mm256_and_ps(v3, absmask))));
    alignas(32) int32_t lanes[8];
    _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), a);
    int32_t bits = 0;
    for (int l = 0; l < 8; l++) bits = std::max(bits, lanes[l]);
    if (bits >= 0x7F800000 || bits == 0) {  // inf / NaN, or all zeros
      std::memset(qb, 0, 64);
      qe[blk] = bits == 0 ? 0 : kNaNExp;
      continue;
    }
    float amax;
    std::memcpy(&amax, &bits, 4);
    const int e = std::ilogb(amax) - 14;  // amax · 2^-e in [2^14, 2^15)
    int up = -e;                             // in [-113, 163]: applied as two exact power-of-two factors
    const float m1 = up > 127 ? std::ldexp(1.f, 127) : 1.f;
    if (up > 127) up -= 127;
    const __m256 f1 = _mm256_set1_ps(m1), f2 = _mm256_set1_ps(std::ldexp(1.f, up));
    const __m256i i0 = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_mul_ps(v0, f1), f2));
    const __m256i i1 = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_mul_ps(v1, f1), f2));
    const __m256i i2 = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_mul_ps(v2, f1), f2));
    const __m256i i3 = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_mul_ps(v3, f1), f2));
    // packs saturates (2^15 becomes 32767) and interleaves 128-bit lanes; the permute restores the order
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(qb), _mm256_permute4x64_epi64(_mm256_packs_epi32(i0, i1), 0xD8));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(qb + 16), _mm256_permute4x64_epi64(_mm256_packs_epi32(i2, i3), 0xD8));
    qe[blk] = e;
  }
}

void prepare(const float* x, int64_t rows, int64_t K, XStore& st, quant::XRows& out) {
  const size_t nq = size_t(rows * K), ne = size_t(rows * (K / 32));
  if (st.q.size() < nq) st.q.resize(nq);
  if (st.e.size() < ne) st.e.resize(ne);
  int16_t* q = st.q.data();
  int32_t* qe = st.e.data();
  parallel_for(rows * (K / 32), 256, [&](int64_t b0, int64_t b1) { quantize_blocks(x, q, qe, b0, b1); });
  out.f = x;
  out.q = st.q.data();
  out.qexp = st.e.data();
  out.K = K;
}

// 32 codes of one block as two int16 vectors (elements 0..15 and 16..31, doubled values)
PLEXUS_AVX2 static inline void decode_block(const uint8_t* c, __m128i lut, __m128i m4, __m256i& lo, __m256i& hi) {
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(c));
  lo = _mm256_cvtepi8_epi16(_mm_shuffle_epi8(lut, _mm_and_si128(v, m4)));
  hi = _mm256_cvtepi8_epi16(_mm_shuffle_epi8(lut, _mm_and_si128(_mm_srli_epi16(v, 4), m4)));
}

PLEXUS_AVX2 static inline __m256 block_dot(__m256i lo, __m256i hi, const int16_t* xq) {
  const __m256i d = _mm256_add_epi32(_mm256_madd_epi16(lo, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xq))),
                                     _mm256_madd_epi16(hi, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xq + 16))));
  return _mm256_cvtepi32_ps(d);
}

template <int M>
PLEXUS_AVX2 void gemv_m(const Mxfp4Matrix& w, int64_t r0, int64_t r1, const quant::XRows& x, const int32_t* idx, float* out, int64_t ldo, int64_t col_base) {
  const int64_t K = w.cols, nb = K / 32;
  const Pow2& P = pow2_table();
  const float* p2 = P.zero();
  const __m128i lut = e2m1x2_table(), m4 = _mm_set1_epi8(0x0F);
  const int16_t* xq[M];
  const int32_t* xe[M];
  for (int m = 0; m < M; m++) {
    xq[m] = x.q + int64_t(idx[m]) * K;
    xe[m] = x.qexp + int64_t(idx[m]) * nb;
  }
  for (int64_t r = r0; r < r1; r++) {
    const uint8_t* c = w.codes + r * (K / 2);
    const uint8_t* s = w.scales + r * nb;
    __m256 acc[M];
    for (int m = 0; m < M; m++) acc[m] = _mm256_setzero_ps();
    int64_t b = 0;
    if constexpr (M <= 2) {
      // two blocks per step into separate accumulators: more independent FMA chains for few rows of x
      __m256 acc2[M];
      for (int m = 0; m < M; m++) acc2[m] = _mm256_setzero_ps();
      for (; b + 2 <= nb; b += 2) {
        __m256i lo0, hi0, lo1, hi1;
        decode_block(c + b * 16, lut, m4, lo0, hi0);
        decode_block(c + b * 16 + 16, lut, m4, lo1, hi1);
        const int32_t se0 = P.scale_exp[s[b]], se1 = P.scale_exp[s[b + 1]];
        for (int m = 0; m < M; m++) {
          acc[m] = _mm256_fmadd_ps(block_dot(lo0, hi0, xq[m] + b * 32), _mm256_broadcast_ss(p2 + se0 + xe[m][b]), acc[m]);
          acc2[m] = _mm256_fmadd_ps(block_dot(lo1, hi1, xq[m] + b * 32 + 32), _mm256_broadcast_ss(p2 + se1 + xe[m][b + 1]), acc2[m]);
        }
      }
      for (int m = 0; m < M; m++) acc[m] = _mm256_add_ps(acc[m], acc2[m]);
    }
    for (; b < nb; b++) {
      __m256i lo0, hi0;
      decode_block(c + b * 16, lut, m4, lo0, hi0);
      const int32_t se0 = P.scale_exp[s[b]];
      for (int m = 0; m < M; m++) acc[m] = _mm256_fmadd_ps(block_dot(lo0, hi0, xq[m] + b * 32), _mm256_broadcast_ss(p2 + se0 + xe[m][b]), acc[m]);
    }
    for (int m = 0; m < M; m++) out[m * ldo + (r - col_base)] = hsum(acc[m]);
  }
}

void gemv(const Mxfp4Matrix& w, int64_t r0, int64_t r1, const quant::XRows& x, const int32_t* idx, int64_t n, float* out, int64_t ldo, int64_t col_base) {
  // up to 8 rows of x per pass (one decode per block serves them all); a task's rows stay in L1/L2 between passes
  for (int64_t i = 0; i < n; i += 8) {
    const int64_t g = std::min<int64_t>(8, n - i);
    float* o = out + i * ldo;
    switch (g) {
      case 1: gemv_m<1>(w, r0, r1, x, idx + i, o, ldo, col_base); break;
      case 2: gemv_m<2>(w, r0, r1, x, idx + i, o, ldo, col_base); break;
      case 3: gemv_m<3>(w, r0, r1, x, idx + i, o, ldo, col_base); break;
      case 4: gemv_m<4>(w, r0, r1, x, idx + i, o, ldo, col_base); break;
      case 5: gemv_m<5>(w, r0, r1, x, idx + i, o, ldo, col_base); break;
      case 6: gemv_m<6>(w, r0, r1, x, idx + i, o, ldo, col_base); break;
      case 7: gemv_m<7>(w, r0, r1, x, idx + i, o, ldo, col_base); break;
      default: gemv_m<8>(w, r0, r1, x, idx + i, o, ldo, col_base); break;
    }
  }
}

// 8 consecutive elements (k % 8 == 0) of one row, scaled: exact unless beyond FLT_MAX
PLEXUS_AVX2 static inline __m256 decode8(const uint8_t* codes, const uint8_t* scales, int64_t k, __m128i lut, __m128i m4, const Pow2& P) {
  const int64_t b = k >> 5, j = k & 31;
  __m128i v = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(codes + b * 16 + (j & 15)));
  if (j >= 16) v = _mm_srli_epi16(v, 4);
  const __m128i vals = _mm_shuffle_epi8(lut, _mm_and_si128(v, m4));
  return _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(vals)), _mm256_set1_ps(P.zero()[P.scale_exp[scales[b]]]));
}

PLEXUS_AVX2 void pack_b(const void* wp, WeightType, int64_t K, int64_t n0, int64_t nc, int64_t k0, int64_t kc, float* Bp) {
  const auto& w = *static_cast<const Mxfp4Matrix*>(wp);
  const auto& T = quant::tables();
  const Pow2& P = pow2_table();
  const __m128i lut = e2m1x2_table(), m4 = _mm_set1_epi8(0x0F);
  constexpr int NR = qgemm::kAvx2NR;
  const int64_t qn = (nc + NR - 1) / NR;
  for (int64_t q = 0; q < qn; q++) {
    float* dst = Bp + q * kc * NR;
    for (int half = 0; half < NR; half += 8) {
      const int64_t c0 = q * NR + half;
      if (c0 + 8 <= nc) {
        // kc and k0 are multiples of 32 (K is), so 8-element groups never straddle a block
        for (int64_t kk = 0; kk < kc; kk += 8) {
          __m256 r[8];
          for (int i = 0; i < 8; i++) {
            const int64_t n = n0 + c0 + i;
            r[i] = decode8(w.codes + n * (K / 2), w.scales + n * (K / 32), k0 + kk, lut, m4, P);
          }
          qgemm::transpose8x8(r);
          for (int t = 0; t < 8; t++) _mm256_storeu_ps(dst + (kk + t) * NR + half, r[t]);
        }
        continue;
      }
      for (int i = 0; i < 8; i++) {
        const int64_t c = c0 + i;
        const uint8_t* codes = w.codes + (n0 + c) * (K / 2);
        const uint8_t* scales = w.scales + (n0 + c) * (K / 32);
        for (int64_t kk = 0; kk < kc; kk++) {
          const int64_t k = k0 + kk;
          dst[kk * NR + half + i] = c < nc ? T.e2m1[quant::mxfp4_code(codes, k)] * T.e8m0[scales[k >> 5]] : 0.f;
        }
      }
    }
  }
}

const Backend kBackend{prepare, gemv, GemmKernels{qgemm::kAvx2MR, qgemm::kAvx2NR, qgemm::micro_avx2, pack_b}};

}  // namespace

void mxfp4_matmul(const Mxfp4MatmulParams& p) { matmul_with(p, kBackend); }
void mxfp4_moe(const Mxfp4MoeParams& p) { moe_with(p, kBackend); }

}  // namespace avx2
#else
namespace avx2 {
void mxfp4_matmul(const Mxfp4MatmulParams& p) { portable::mxfp4_matmul(p); }
void mxfp4_moe(const Mxfp4MoeParams& p) { portable::mxfp4_moe(p); }
}  // namespace avx2
#endif

// ---------------------------------------------------------------- load-time conversion

int64_t mxfp4_pack(uint8_t* dst_codes, uint8_t* dst_scales, int64_t cols, const uint8_t* src_codes, const uint8_t* src_scales,
                   int64_t rows, bool interleaved, int64_t dst_start, int64_t dst_stride) {
  const int64_t nb = cols / 32, cb = cols / 2;
  std::atomic<int64_t> first{rows * nb};
  parallel_for(rows, std::max<int64_t>(1, 65536 / std::max<int64_t>(1, cb)), [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; r++) {
      const int64_t d = dst_start + r * dst_stride;
      const uint8_t* sc = src_codes + r * cb;
      const uint8_t* ss = src_scales + r * nb;
      uint8_t* dc = dst_codes + d * cb;
      std::memcpy(dst_scales + d * nb, ss, size_t(nb));
      for (int64_t blk = 0; blk < nb; blk++) {
        if (ss[blk] == 0xFF) {
          int64_t cur = first.load();
          const int64_t at = r * nb + blk;
          while (at < cur && !first.compare_exchange_weak(cur, at)) {}
        }
        const uint8_t* s = sc + blk * 16;
        uint8_t* o = dc + blk * 16;
        if (!interleaved) {
          std::memcpy(o, s, 16);
          continue;
        }
        // source byte j: elements 2j (low) and 2j+1 (high); target byte i: elements i (low) and i+16 (high)
        for (int i = 0; i < 16; i++) {
          const int lo = (s[i >> 1] >> ((i & 1) * 4)) & 15;
          const int hi = (s[8 + (i >> 1)] >> ((i & 1) * 4)) & 15;
          o[i] = uint8_t(lo | (hi << 4));
        }
      }
    }
  });
  const int64_t f = first.load();
  return f == rows * nb ? -1 : f;
}

}  // namespace plexus
