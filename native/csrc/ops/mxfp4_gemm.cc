// MXFP4 kernels: matmul (out = x · Wᵀ) and the routed experts of one MoE layer, on the internal superblock
// layout of mxfp4_layout.h (mxfp4_pack converts checkpoints into it once, at load).
//
// GEMV (few rows of x): every weight row is streamed once.
//  - AVX2: integer dot products per 32-block with one scale op per 8 blocks (mxfp4_gemv_avx2.cc); a call
//    whose activations have extreme exponents takes the float path below instead.
//  - portable (and that float path): exact float E2M1 values, block dot, times the block scale.
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
#include "ops/mxfp4_gemv.h"
#include "ops/mxfp4_layout.h"
#include "ops/quant_common.h"
#include "ops/quant_gemm.h"
#include "ops/quant_kernels.h"
#include "threadpool.h"

namespace plexus {

namespace {
constexpr int64_t kGemvMaxRows = 8;  // above this many activation rows per matrix, the GEMM path wins
// weight bytes per pool task: measured on the 2-core box, a MoE layer (6 experts of 2048×2048 + 2048×1024)
// reads 56% of the streaming bandwidth with 16 KiB tasks, ~66% with 32 KiB, ~72% with 128 KiB
constexpr int64_t kTaskBytes = 128 * 1024;

int64_t row_bytes(int64_t cols) { return cols / 2 + cols / 32; }
int64_t rows_per_task(int64_t cols) { return std::max<int64_t>(1, kTaskBytes / std::max<int64_t>(1, row_bytes(cols))); }

Mxfp4Matrix sub_matrix(const Mxfp4Matrix& m, int64_t row0, int64_t rows) {
  return Mxfp4Matrix{m.codes + row0 * (m.cols / 2), m.scales + row0 * (m.cols / 32), rows, m.cols};
}

MatmulParams as_matmul(float* out, const float* x, const Mxfp4Matrix* w, int64_t M, const float* bias) {
  return MatmulParams{out, x, w, WeightType::F32, M, w->rows, w->cols, bias};
}

// The GEMV/GEMM kernels of one implementation.
struct Backend {
  // prepares `rows` activation rows of length K for gemv (avx2: int16 quantization into st)
  void (*prepare)(const float* x, int64_t rows, int64_t K, mxfp4::XBuffers& st, mxfp4::XRows& out);
  // out[i * ldo + (r - col_base)] = W[r] · x[idx[i]] for r in [r0, r1), i < n
  void (*gemv)(const Mxfp4Matrix& w, int64_t r0, int64_t r1, const mxfp4::XRows& x, const int32_t* idx, int64_t n, float* out, int64_t ldo, int64_t col_base);
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
  thread_local mxfp4::XBuffers st;
  mxfp4::XRows xr;
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
  thread_local mxfp4::XBuffers xst, hst;
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
  mxfp4::XRows xr;
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
  mxfp4::XRows hr;
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

void prepare(const float* x, int64_t, int64_t K, mxfp4::XBuffers&, mxfp4::XRows& out) {
  out.f = x;
  out.K = K;
}

thread_local std::vector<float> t_vals;

void gemv(const Mxfp4Matrix& w, int64_t r0, int64_t r1, const mxfp4::XRows& x, const int32_t* idx, int64_t n, float* out, int64_t ldo, int64_t col_base) {
  const auto& T = quant::tables();
  const int64_t K = w.cols, nb = K / 32;
  if (t_vals.size() < size_t(K)) t_vals.resize(size_t(K));
  float* v = t_vals.data();
  for (int64_t r = r0; r < r1; r++) {
    const uint8_t* c = w.codes + r * (K / 2);
    const uint8_t* s = w.scales + r * nb;
    mxfp4::decode_row(c, K, T.e2m1, v);
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
  qgemm::pack_panels_portable(n0, nc, k0, kc, Bp, [&](int64_t n, int64_t k) {
    return T.e2m1[mxfp4::code_at(w.codes + n * (K / 2), K, k)] * T.e8m0[w.scales[n * (K / 32) + (k >> 5)]];
  });
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

void gemv(const Mxfp4Matrix& w, int64_t r0, int64_t r1, const mxfp4::XRows& x, const int32_t* idx, int64_t n, float* out, int64_t ldo, int64_t col_base) {
  if (x.exact) portable::gemv(w, r0, r1, x, idx, n, out, ldo, col_base);
  else mxfp4::avx2::gemv(w, r0, r1, x, idx, n, out, ldo, col_base);
}

// 8 consecutive elements (k % 8 == 0) of one row, scaled: exact unless beyond FLT_MAX. In the superblock
// layout they are the low then the high nibbles of 4 consecutive bytes.
PLEXUS_AVX2 static inline __m256 decode8(const uint8_t* codes, const uint8_t* scales, int64_t K, int64_t k, __m128i lut, __m128i m4) {
  int nibble;
  const int64_t at = mxfp4::code_byte(K, k, nibble);
  int32_t four;
  std::memcpy(&four, codes + at, 4);
  const __m128i v = _mm_cvtsi32_si128(four);
  const __m128i idx = _mm_unpacklo_epi32(_mm_and_si128(v, m4), _mm_and_si128(_mm_srli_epi16(v, 4), m4));
  const __m128i vals = _mm_shuffle_epi8(lut, idx);
  // the table holds doubled values: half the block scale (exact, denormal for E8M0 0)
  return _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(vals)), _mm256_set1_ps(0.5f * quant::tables().e8m0[scales[k >> 5]]));
}

PLEXUS_AVX2 void pack_b(const void* wp, WeightType, int64_t K, int64_t n0, int64_t nc, int64_t k0, int64_t kc, float* Bp) {
  const auto& w = *static_cast<const Mxfp4Matrix*>(wp);
  const auto& T = quant::tables();
  const __m128i lut = e2m1x2_table(), m4 = _mm_set1_epi8(0x0F);
  // kc and k0 are multiples of 32 (K is), so 8-element groups never straddle a block
  qgemm::pack_panels_avx2(
      n0, nc, k0, kc, Bp, true,
      [&](int64_t n, int64_t k) PLEXUS_AVX2 { return decode8(w.codes + n * (K / 2), w.scales + n * (K / 32), K, k, lut, m4); },
      [&](int64_t n, int64_t k) { return T.e2m1[mxfp4::code_at(w.codes + n * (K / 2), K, k)] * T.e8m0[w.scales[n * (K / 32) + (k >> 5)]]; });
}

const Backend kBackend{mxfp4::avx2::prepare, gemv, GemmKernels{qgemm::kAvx2MR, qgemm::kAvx2NR, qgemm::micro_avx2, pack_b}};

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
        const int64_t sb = blk / mxfp4::kSuperBlocks;
        const int j = int(blk % mxfp4::kSuperBlocks), n = mxfp4::blocks_in_super(nb, sb);
        const uint8_t* src = sc + blk * 16;
        uint8_t* o = dc + sb * mxfp4::kSuperBytes + 4 * j;
        // destination slice t, byte u: element 8t+u (low nibble) and 8t+4+u (high nibble)
        for (int t = 0; t < mxfp4::kSlices; t++) {
          uint8_t* d = o + t * 4 * n;
          if (interleaved) {  // source byte i: elements 2i (low), 2i+1 (high); elements 8t.. are bytes 4t..4t+3
            const uint8_t* q = src + 4 * t;
            d[0] = uint8_t((q[0] & 0x0F) | (q[2] << 4));
            d[1] = uint8_t((q[0] >> 4) | (q[2] & 0xF0));
            d[2] = uint8_t((q[1] & 0x0F) | (q[3] << 4));
            d[3] = uint8_t((q[1] >> 4) | (q[3] & 0xF0));
          } else {  // split-half: source byte i: elements i (low), i+16 (high)
            const uint8_t* q = src + 8 * (t & 1);
            for (int u = 0; u < 4; u++)
              d[u] = t < 2 ? uint8_t((q[u] & 0x0F) | (q[u + 4] << 4)) : uint8_t((q[u] >> 4) | (q[u + 4] & 0xF0));
          }
        }
      }
    }
  });
  const int64_t f = first.load();
  return f == rows * nb ? -1 : f;
}

}  // namespace plexus
