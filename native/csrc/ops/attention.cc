// attention over a paged KV cache. One work item = one query row × one KV head; the G = nHeads/nKvHeads
// query heads sharing that KV head are processed together so every key/value row is read once per item.
// Keys are visited in tiles: scores for the tile, then an online-softmax update (running max m, running
// denominator l, rescaled accumulator). A per-head sink adds exp(sink - m) to the denominator only.
// Key selection: dense = positions lo..hi from causality and the sliding window; sparse = the query row's
// explicit index list (exactly those keys, -1 entries skipped). A query with no keys outputs zeros.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "common/aligned_buffer.h"
#include "common/simd_avx2.h"
#include "ops/attention_tile_math.h"
#include "ops/kernels.h"
#include "threadpool.h"

namespace plexus {

namespace {
constexpr int kTile = 32;
using attention_tiles::kNegInf;

// Tile-level math, one implementation per path.
struct TileMath {
  // s[h * kTile + t] = scale * dot(q + h * qStride, keys[t]) for h < G, t < n
  void (*scores)(const float* q, int64_t qStride, int64_t G, const float* const* keys, int n, int64_t D, float scale, float* s);
  // online softmax update of (m, l, acc) for G heads with the tile's scores and value rows
  void (*update)(int64_t G, float* s, int n, const float* const* vals, int64_t Dv, float* m, float* l, float* acc);
};

thread_local AlignedBuffer t_scores, t_acc, t_ml, t_ktile, t_vtile;

template <class Work>
void for_each_item(const AttentionParams& p, Work&& work) {
  // rows of all sequences, flattened: (sequence, query index within it)
  std::vector<int32_t> seq_of, qi_of;
  for (int64_t s = 0; s < p.nSeqs; s++)
    for (int32_t i = 0; i < p.seqQLen[s]; i++) { seq_of.push_back(int32_t(s)); qi_of.push_back(i); }
  const int64_t items = int64_t(seq_of.size()) * p.nKvHeads;
  parallel_tasks(items, [&](int64_t it) {
    const int64_t row = it / p.nKvHeads;
    work(seq_of[size_t(row)], qi_of[size_t(row)], it % p.nKvHeads);
  });
}

void run_attention(const AttentionParams& p, const TileMath& math) {
  const int64_t G = p.nHeads / p.nKvHeads;
  const int64_t kSlot = p.nKvHeads * p.headDim, vSlot = p.nKvHeads * p.headDimV;
  for_each_item(p, [&](int32_t s, int32_t qi, int64_t g) {
    const int64_t kvLen = p.seqKvLen[s];
    const int64_t qLen = p.seqQLen[s];
    const int64_t row = p.seqQStart[s] + qi;
    const int64_t pos = kvLen - qLen + qi;
    const int32_t* table = p.blockTables + p.blockTableStart[s];
    const float* q = p.q + (row * p.nHeads + g * G) * p.headDim;
    float* out = p.out + (row * p.nHeads + g * G) * p.headDimV;

    float* sc = t_scores.get(size_t(G * kTile));
    float* ktile = t_ktile.get(size_t(kTile * p.headDim));
    float* vtile = t_vtile.get(size_t(kTile * p.headDimV));
    float* acc = t_acc.get(size_t(G * p.headDimV));
    float* ml = t_ml.get(size_t(2 * G));
    float* m = ml;
    float* l = ml + G;
    for (int64_t h = 0; h < G; h++) { m[h] = kNegInf; l[h] = 0.f; }
    std::fill(acc, acc + G * p.headDimV, 0.f);

    const float* keys[kTile];
    const float* vals[kTile];
    int n = 0;
    auto flush = [&] {
      if (n == 0) return;
      if (G > 1) {
        // The rows of one KV head are nKvHeads*headDim floats apart in the cache (often exactly a page),
        // so they all land in the same few L1 sets and evict each other between the G query heads that
        // reuse them. A contiguous copy of the tile is read once and then reused from L1.
        for (int t = 0; t < n; t++) {
          std::memcpy(ktile + t * p.headDim, keys[t], size_t(p.headDim) * 4);
          std::memcpy(vtile + t * p.headDimV, vals[t], size_t(p.headDimV) * 4);
          keys[t] = ktile + t * p.headDim;
          vals[t] = vtile + t * p.headDimV;
        }
      }
      math.scores(q, p.headDim, G, keys, n, p.headDim, p.scale, sc);
      math.update(G, sc, n, vals, p.headDimV, m, l, acc);
      n = 0;
    };
    auto slot_of = [&](int64_t key) { return int64_t(table[key / p.blockSize]) * p.blockSize + key % p.blockSize; };
    // Each K/V row of one KV head sits in its own page-strided spot of the cache, where the hardware
    // prefetchers do not follow: when the rows are probably not cached (decode, sparse picks), fetch
    // them ahead by hand (a plain prefetch, not AVX).
    const bool prefetching = qLen <= 4 || p.keyIndices;
    auto prefetch_slot = [&](int64_t slot) {
      const char* kr = reinterpret_cast<const char*>(p.kCache + slot * kSlot + g * p.headDim);
      const char* vr = reinterpret_cast<const char*>(p.vCache + slot * vSlot + g * p.headDimV);
      for (int64_t b = 0; b < p.headDim * 4; b += 64) __builtin_prefetch(kr + b);
      for (int64_t b = 0; b < p.headDimV * 4; b += 64) __builtin_prefetch(vr + b);
    };
    auto visit_slot = [&](int64_t slot) {
      keys[n] = p.kCache + slot * kSlot + g * p.headDim;
      vals[n] = p.vCache + slot * vSlot + g * p.headDimV;
      if (++n == kTile) flush();
    };

    if (p.keyIndices) {
      const int32_t* idx = p.keyIndices + p.keyIndexStart[row];
      const int64_t cnt = p.keyIndexCount[row];
      for (int64_t j = 0; j < std::min<int64_t>(cnt, kTile); j++) if (idx[j] >= 0) prefetch_slot(slot_of(idx[j]));
      for (int64_t j = 0; j < cnt; j++) {
        if (j + kTile < cnt && idx[j + kTile] >= 0) prefetch_slot(slot_of(idx[j + kTile]));
        if (idx[j] >= 0) visit_slot(slot_of(idx[j]));
      }
    } else {
      int64_t hi = p.causal ? pos : kvLen - 1;
      hi = std::min(hi, kvLen - 1);
      const int64_t lo = p.slidingWindow > 0 ? std::max<int64_t>(0, pos - p.slidingWindow + 1) : 0;
      // walk block by block (no division per key); prefetch the next block while in this one
      const int64_t bs = p.blockSize;
      auto prefetch_block = [&](int64_t b) {
        if (b * bs > hi) return;
        const int64_t first = std::max(lo, b * bs), last = std::min(hi, b * bs + bs - 1);
        for (int64_t key = first; key <= last; key++) prefetch_slot(int64_t(table[b]) * bs + key - b * bs);
      };
      if (prefetching && lo <= hi) prefetch_block(lo / bs);
      for (int64_t key = lo; key <= hi;) {
        const int64_t b = key / bs;
        const int64_t last = std::min(hi, b * bs + bs - 1);
        if (prefetching) prefetch_block(b + 1);
        const int64_t base = int64_t(table[b]) * bs - b * bs;
        for (; key <= last; key++) visit_slot(base + key);
      }
    }
    flush();

    for (int64_t h = 0; h < G; h++)
      attention_tiles::normalize_head(acc + h * p.headDimV, p.headDimV, m[h], l[h], p.sinks ? p.sinks + g * G + h : nullptr, out + h * p.headDimV);
  });
}

}  // namespace

namespace portable {
void attention(const AttentionParams& p) {
  run_attention(p, TileMath{attention_tiles::scores_portable<kTile>, attention_tiles::update_portable<kTile>});
}
}  // namespace portable

#if PLEXUS_HAS_X86
namespace avx2 {
namespace {
PLEXUS_AVX2 void scores(const float* q, int64_t qStride, int64_t G, const float* const* keys, int n, int64_t D, float scale, float* s) {
  for (int64_t h = 0; h < G; h++) attention_tiles::scores_one_head(q + h * qStride, keys, n, D, scale, s + h * kTile);
}

PLEXUS_AVX2 void update(int64_t G, float* s, int n, const float* const* vals, int64_t Dv, float* m, float* l, float* acc) {
  for (int64_t h = 0; h < G; h++) {
    float* sh = s + h * kTile;
    float tmax = kNegInf;
    for (int t = 0; t < n; t++) tmax = std::max(tmax, sh[t]);
    if (tmax == kNegInf) continue;
    const float mnew = std::max(m[h], tmax);
    const float corr = m[h] == kNegInf ? 0.f : std::exp(m[h] - mnew);
    const float lsum = attention_tiles::exp_in_place(sh, n, mnew);
    float* ah = acc + h * Dv;
    const __m256 vc = _mm256_set1_ps(corr);
    int64_t d = 0;
    // acc = acc * corr + Σ_t p_t v_t: 64 dims (8 accumulators) per pass over the tile's keys
    for (; d + 64 <= Dv; d += 64) {
      __m256 a[8];
      for (int j = 0; j < 8; j++) a[j] = _mm256_mul_ps(_mm256_loadu_ps(ah + d + 8 * j), vc);
      for (int tt = 0; tt < n; tt++) {
        const __m256 pt = _mm256_broadcast_ss(sh + tt);
        const float* v = vals[tt] + d;
        for (int j = 0; j < 8; j++) a[j] = _mm256_fmadd_ps(pt, _mm256_loadu_ps(v + 8 * j), a[j]);
      }
      for (int j = 0; j < 8; j++) _mm256_storeu_ps(ah + d + 8 * j, a[j]);
    }
    for (; d + 8 <= Dv; d += 8) {
      __m256 a = _mm256_mul_ps(_mm256_loadu_ps(ah + d), vc);
      __m256 b = _mm256_setzero_ps();
      int tt = 0;
      for (; tt + 2 <= n; tt += 2) {
        a = _mm256_fmadd_ps(_mm256_broadcast_ss(sh + tt), _mm256_loadu_ps(vals[tt] + d), a);
        b = _mm256_fmadd_ps(_mm256_broadcast_ss(sh + tt + 1), _mm256_loadu_ps(vals[tt + 1] + d), b);
      }
      if (tt < n) a = _mm256_fmadd_ps(_mm256_broadcast_ss(sh + tt), _mm256_loadu_ps(vals[tt] + d), a);
      _mm256_storeu_ps(ah + d, _mm256_add_ps(a, b));
    }
    for (; d < Dv; d++) {
      float a = ah[d] * corr;
      for (int tt = 0; tt < n; tt++) a += sh[tt] * vals[tt][d];
      ah[d] = a;
    }
    l[h] = l[h] * corr + lsum;
    m[h] = mnew;
  }
}
}  // namespace

void attention(const AttentionParams& p) { run_attention(p, TileMath{scores, update}); }
}  // namespace avx2
#endif

}  // namespace plexus
