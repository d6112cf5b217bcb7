// Lightning-indexer scores: I(i, t) = Σ_h w_ih · ReLU(q_ih · k_t) for keys t < visible_i, -inf beyond.
// A GEMM-like shape (heads × dims × keys per query) whose result is reduced over heads right away. One work
// item = one query × a block of keys. The AVX2 path transposes 16 keys into [dim][16] so that eight lanes
// hold eight keys' dot products: broadcast q_h[d] × a row of the transposed tile, no horizontal sums, and
// the ReLU-weighted sum over heads happens lane-wise.
#include <algorithm>
#include <cmath>
#include <limits>

#include "common/aligned_buffer.h"
#include "common/simd_avx2.h"
#include "ops/dsv4_kernels.h"
#include "threadpool.h"

namespace plexus {

namespace {
constexpr int64_t kKeyBlock = 64;    // keys per work item
constexpr int64_t kQueryBlock = 8;   // queries per work item (they share the item's transposed key tiles)
constexpr float kNegInf = -std::numeric_limits<float>::infinity();

int64_t visible_of(const Dsv4IndexerScoresParams& p, int64_t i) {
  return std::min<int64_t>(std::max<int64_t>(p.visible[i], 0), p.numKeys);
}

// calls block(i0, i1, t0, t1) for every (query block, key block), then writes -inf past each query's visible
template <class Block>
void for_each_block(const Dsv4IndexerScoresParams& p, Block&& block) {
  const int64_t T = p.numKeys;
  if (p.numQueries == 0 || T == 0) return;
  const int64_t kBlocks = (T + kKeyBlock - 1) / kKeyBlock;
  const int64_t qBlocks = (p.numQueries + kQueryBlock - 1) / kQueryBlock;
  parallel_tasks(qBlocks * kBlocks, [&](int64_t item) {
    const int64_t i0 = (item / kBlocks) * kQueryBlock, i1 = std::min(p.numQueries, i0 + kQueryBlock);
    const int64_t t0 = (item % kBlocks) * kKeyBlock, t1 = std::min(T, t0 + kKeyBlock);
    block(i0, i1, t0, t1);
    for (int64_t i = i0; i < i1; i++)
      for (int64_t t = std::max(t0, visible_of(p, i)); t < t1; t++) p.out[i * T + t] = kNegInf;
  });
}
}  // namespace

namespace portable {
void dsv4_indexer_scores(const Dsv4IndexerScoresParams& p) {
  const int64_t H = p.numHeads, D = p.headDim, T = p.numKeys;
  for_each_block(p, [&](int64_t i0, int64_t i1, int64_t t0, int64_t t1) {
    for (int64_t i = i0; i < i1; i++) {
      const int64_t vis = std::min(t1, visible_of(p, i));
      for (int64_t t = t0; t < vis; t++) {
        const float* k = p.keys + t * D;
        float score = 0.f;
        for (int64_t h = 0; h < H; h++) {
          const float* q = p.q + (i * H + h) * D;
          float a[8] = {0, 0, 0, 0, 0, 0, 0, 0};
          int64_t d = 0;
          for (; d + 8 <= D; d += 8)
            for (int j = 0; j < 8; j++) a[j] += q[d + j] * k[d + j];
          float dot = ((a[0] + a[4]) + (a[1] + a[5])) + ((a[2] + a[6]) + (a[3] + a[7]));
          for (; d < D; d++) dot += q[d] * k[d];
          if (dot > 0.f) score += p.weights[i * H + h] * dot;
        }
        p.out[i * T + t] = score;
      }
    }
  });
}
}  // namespace portable

#if PLEXUS_HAS_X86
namespace avx2 {
namespace {
constexpr int kLanes = 16;  // keys per transposed tile (two vectors)
thread_local AlignedBuffer t_tile;

// scores of keys [t0, t0 + n) (n <= 16) for query i; kt is the tile transposed to [D][16], zero padded
PLEXUS_AVX2 void tile_scores(const Dsv4IndexerScoresParams& p, int64_t i, const float* kt, float* out, int n) {
  const int64_t H = p.numHeads, D = p.headDim;
  const float* w = p.weights + i * H;
  const __m256 zero = _mm256_setzero_ps();
  __m256 s0 = zero, s1 = zero;
  int64_t h = 0;
  // four heads × sixteen keys: eight accumulators; per dim two tile loads and four q broadcasts
  for (; h + 4 <= H; h += 4) {
    const float* q0 = p.q + (i * H + h) * D;
    const float* q1 = q0 + D;
    const float* q2 = q1 + D;
    const float* q3 = q2 + D;
    __m256 a00 = zero, a01 = zero, a10 = zero, a11 = zero, a20 = zero, a21 = zero, a30 = zero, a31 = zero;
    for (int64_t d = 0; d < D; d++) {
      const __m256 k0 = _mm256_load_ps(kt + d * kLanes), k1 = _mm256_load_ps(kt + d * kLanes + 8);
      __m256 b = _mm256_broadcast_ss(q0 + d);
      a00 = _mm256_fmadd_ps(b, k0, a00); a01 = _mm256_fmadd_ps(b, k1, a01);
      b = _mm256_broadcast_ss(q1 + d);
      a10 = _mm256_fmadd_ps(b, k0, a10); a11 = _mm256_fmadd_ps(b, k1, a11);
      b = _mm256_broadcast_ss(q2 + d);
      a20 = _mm256_fmadd_ps(b, k0, a20); a21 = _mm256_fmadd_ps(b, k1, a21);
      b = _mm256_broadcast_ss(q3 + d);
      a30 = _mm256_fmadd_ps(b, k0, a30); a31 = _mm256_fmadd_ps(b, k1, a31);
    }
    // max(dot, 0) is 0 for a NaN dot too (maxps returns its second operand), like the TS row's `dot > 0`
    __m256 wv = _mm256_broadcast_ss(w + h);
    s0 = _mm256_fmadd_ps(wv, _mm256_max_ps(a00, zero), s0); s1 = _mm256_fmadd_ps(wv, _mm256_max_ps(a01, zero), s1);
    wv = _mm256_broadcast_ss(w + h + 1);
    s0 = _mm256_fmadd_ps(wv, _mm256_max_ps(a10, zero), s0); s1 = _mm256_fmadd_ps(wv, _mm256_max_ps(a11, zero), s1);
    wv = _mm256_broadcast_ss(w + h + 2);
    s0 = _mm256_fmadd_ps(wv, _mm256_max_ps(a20, zero), s0); s1 = _mm256_fmadd_ps(wv, _mm256_max_ps(a21, zero), s1);
    wv = _mm256_broadcast_ss(w + h + 3);
    s0 = _mm256_fmadd_ps(wv, _mm256_max_ps(a30, zero), s0); s1 = _mm256_fmadd_ps(wv, _mm256_max_ps(a31, zero), s1);
  }
  for (; h < H; h++) {
    const float* q = p.q + (i * H + h) * D;
    __m256 a0 = zero, a1 = zero;
    for (int64_t d = 0; d < D; d++) {
      const __m256 b = _mm256_broadcast_ss(q + d);
      a0 = _mm256_fmadd_ps(b, _mm256_load_ps(kt + d * kLanes), a0);
      a1 = _mm256_fmadd_ps(b, _mm256_load_ps(kt + d * kLanes + 8), a1);
    }
    const __m256 wv = _mm256_broadcast_ss(w + h);
    s0 = _mm256_fmadd_ps(wv, _mm256_max_ps(a0, zero), s0);
    s1 = _mm256_fmadd_ps(wv, _mm256_max_ps(a1, zero), s1);
  }
  if (n == kLanes) {
    _mm256_storeu_ps(out, s0);
    _mm256_storeu_ps(out + 8, s1);
  } else {
    alignas(32) float tmp[kLanes];
    _mm256_store_ps(tmp, s0);
    _mm256_store_ps(tmp + 8, s1);
    for (int j = 0; j < n; j++) out[j] = tmp[j];
  }
}
}  // namespace

void dsv4_indexer_scores(const Dsv4IndexerScoresParams& p) {
  const int64_t D = p.headDim, T = p.numKeys;
  for_each_block(p, [&](int64_t i0, int64_t i1, int64_t t0, int64_t t1) {
    int64_t last = t0;  // keys any query of the block sees
    for (int64_t i = i0; i < i1; i++) last = std::max(last, std::min(t1, visible_of(p, i)));
    float* kt = t_tile.get(size_t(D * kLanes));
    for (int64_t t = t0; t < last; t += kLanes) {
      const int n = int(std::min<int64_t>(kLanes, last - t));
      for (int64_t d = 0; d < D; d++) {
        float* row = kt + d * kLanes;
        for (int j = 0; j < n; j++) row[j] = p.keys[(t + j) * D + d];
        for (int j = n; j < kLanes; j++) row[j] = 0.f;
      }
      for (int64_t i = i0; i < i1; i++) {
        const int64_t seen = std::min<int64_t>(n, visible_of(p, i) - t);
        if (seen > 0) tile_scores(p, i, kt, p.out + i * T + t, int(seen));
      }
    }
  });
}
}  // namespace avx2
#else
namespace avx2 {
void dsv4_indexer_scores(const Dsv4IndexerScoresParams& p) { portable::dsv4_indexer_scores(p); }
}  // namespace avx2
#endif

}  // namespace plexus
