// DeepSeek-V4 sparse attention: every query has its own explicit key list (window rows + chosen compressed
// entries) over one shared K = V head, and every head has a sink logit that joins the softmax denominator
// only. One work item = one query × a group of heads: all heads of a query read the same key rows, so a
// group shares each tile of rows while it is in cache (the AVX2 path: four heads per key load). Keys go by
// in tiles: scores for the tile, then an online-softmax update (running max m, denominator l, rescaled
// accumulator); at the end the sink adds exp(sink - m) to l. Same result as the TypeScript row's two-pass
// softmax (up to float rounding).
#include <algorithm>
#include <cmath>

#include "common/aligned_buffer.h"
#include "common/simd_avx2.h"
#include "ops/attention_tile_math.h"
#include "ops/dsv4_kernels.h"
#include "threadpool.h"

namespace plexus {

namespace {
constexpr int kTile = 16;
constexpr int64_t kMaxGroup = 8;
using attention_tiles::kNegInf;

struct TileMath {
  // s[g * kTile + t] = scale · dot(q + g·D, keys[t]) for g < G, t < n
  void (*scores)(const float* q, int64_t G, const float* const* keys, int n, int64_t D, float scale, float* s);
  // online softmax update of (m, l, acc[G, D]) with the tile's scores; s is overwritten with probabilities
  void (*update)(int64_t G, float* s, int n, const float* const* keys, int64_t D, float* m, float* l, float* acc);
};

thread_local AlignedBuffer t_scores, t_acc, t_ml;

// heads per work item: as many as share a key read (up to 8), fewer when that leaves threads idle
int64_t head_group(const Dsv4SparseAttentionParams& p) {
  const int64_t want = 4 * int64_t(ThreadPool::instance().size());
  int64_t g = std::min<int64_t>(kMaxGroup, p.numHeads);
  while (g > 1 && p.numQueries * ((p.numHeads + g - 1) / g) < want) g /= 2;
  return std::max<int64_t>(g, 1);
}

void run(const Dsv4SparseAttentionParams& p, const TileMath& math) {
  const int64_t H = p.numHeads, D = p.headDim;
  if (p.numQueries == 0 || H == 0) return;
  const int64_t group = head_group(p);
  const int64_t groupsPerQuery = (H + group - 1) / group;
  parallel_tasks(p.numQueries * groupsPerQuery, [&](int64_t item) {
    const int64_t i = item / groupsPerQuery;
    const int64_t h0 = (item % groupsPerQuery) * group;
    const int64_t G = std::min(group, H - h0);
    const float* q = p.q + (i * H + h0) * D;
    float* out = p.out + (i * H + h0) * D;
    const int32_t* idx = p.keyIndex + p.keyStart[i];
    const int64_t n = int64_t(p.keyStart[i + 1]) - p.keyStart[i];
    if (n == 0) {
      std::fill(out, out + G * D, 0.f);
      return;
    }

    float* sc = t_scores.get(size_t(G * kTile));
    float* acc = t_acc.get(size_t(G * D));
    float* ml = t_ml.get(size_t(2 * G));
    float* m = ml;
    float* l = ml + G;
    for (int64_t g = 0; g < G; g++) { m[g] = kNegInf; l[g] = 0.f; }
    std::fill(acc, acc + G * D, 0.f);

    const float* rows[kTile];
    for (int64_t j0 = 0; j0 < n; j0 += kTile) {
      const int tn = int(std::min<int64_t>(kTile, n - j0));
      for (int t = 0; t < tn; t++) rows[t] = p.keys + int64_t(idx[j0 + t]) * D;
      // the next tile's rows: gathered picks defeat the hardware prefetcher (a plain prefetch, not AVX)
      for (int64_t t = j0 + kTile; t < std::min(n, j0 + 2 * kTile); t++) {
        const char* r = reinterpret_cast<const char*>(p.keys + int64_t(idx[t]) * D);
        for (int64_t b = 0; b < D * 4; b += 64) __builtin_prefetch(r + b);
      }
      math.scores(q, G, rows, tn, D, p.scale, sc);
      math.update(G, sc, tn, rows, D, m, l, acc);
    }

    for (int64_t g = 0; g < G; g++) attention_tiles::normalize_head(acc + g * D, D, m[g], l[g], p.sinks + h0 + g, out + g * D);
  });
}

// the query's heads are D floats apart in q
void scores_portable(const float* q, int64_t G, const float* const* keys, int n, int64_t D, float scale, float* s) {
  attention_tiles::scores_portable<kTile>(q, D, G, keys, n, D, scale, s);
}
}  // namespace

namespace portable {
void dsv4_sparse_attention(const Dsv4SparseAttentionParams& p) { run(p, TileMath{scores_portable, attention_tiles::update_portable<kTile>}); }
}  // namespace portable

#if PLEXUS_HAS_X86
namespace avx2 {
namespace {
// Heads go in blocks of four so every key vector loaded serves four FMAs (the rows stream from L2: a tile of
// 16 rows of 512 floats does not fit L1 next to the heads' q and accumulators); leftover heads go one by one.
constexpr int64_t kHeadBlock = 4;

// four heads × two keys: eight FMA chains; per 8 dims two key loads and four q loads
PLEXUS_AVX2 void scores_block(const float* q, const float* const* keys, int n, int64_t D, float scale, float* s) {
  int t = 0;
  for (; t + 2 <= n; t += 2) {
    const float* k0 = keys[t];
    const float* k1 = keys[t + 1];
    __m256 a[kHeadBlock][2];
    for (int h = 0; h < kHeadBlock; h++) a[h][0] = a[h][1] = _mm256_setzero_ps();
    int64_t d = 0;
    for (; d + 8 <= D; d += 8) {
      const __m256 x0 = _mm256_loadu_ps(k0 + d), x1 = _mm256_loadu_ps(k1 + d);
      for (int h = 0; h < kHeadBlock; h++) {
        const __m256 qv = _mm256_loadu_ps(q + h * D + d);
        a[h][0] = _mm256_fmadd_ps(qv, x0, a[h][0]);
        a[h][1] = _mm256_fmadd_ps(qv, x1, a[h][1]);
      }
    }
    for (int h = 0; h < kHeadBlock; h++) {
      float r0 = hsum(a[h][0]), r1 = hsum(a[h][1]);
      for (int64_t dd = d; dd < D; dd++) { r0 += q[h * D + dd] * k0[dd]; r1 += q[h * D + dd] * k1[dd]; }
      s[h * kTile + t] = r0 * scale;
      s[h * kTile + t + 1] = r1 * scale;
    }
  }
  if (t < n) {
    const float* k = keys[t];
    __m256 a[kHeadBlock];
    for (int h = 0; h < kHeadBlock; h++) a[h] = _mm256_setzero_ps();
    int64_t d = 0;
    for (; d + 8 <= D; d += 8) {
      const __m256 x = _mm256_loadu_ps(k + d);
      for (int h = 0; h < kHeadBlock; h++) a[h] = _mm256_fmadd_ps(_mm256_loadu_ps(q + h * D + d), x, a[h]);
    }
    for (int h = 0; h < kHeadBlock; h++) {
      float r = hsum(a[h]);
      for (int64_t dd = d; dd < D; dd++) r += q[h * D + dd] * k[dd];
      s[h * kTile + t] = r * scale;
    }
  }
}

PLEXUS_AVX2 void scores(const float* q, int64_t G, const float* const* keys, int n, int64_t D, float scale, float* s) {
  int64_t g = 0;
  for (; g + kHeadBlock <= G; g += kHeadBlock) scores_block(q + g * D, keys, n, D, scale, s + g * kTile);
  for (; g < G; g++) attention_tiles::scores_one_head(q + g * D, keys, n, D, scale, s + g * kTile);
}

// acc[h] = acc[h] · corr[h] + Σ_t p[h][t] · keys[t] for four heads; 16 dims (eight accumulators) per pass
PLEXUS_AVX2 void accumulate_block(const float* p, const float* corr, const float* const* keys, int n, int64_t D, float* acc) {
  int64_t d = 0;
  for (; d + 16 <= D; d += 16) {
    __m256 a[kHeadBlock][2];
    for (int h = 0; h < kHeadBlock; h++) {
      const __m256 c = _mm256_broadcast_ss(corr + h);
      a[h][0] = _mm256_mul_ps(_mm256_loadu_ps(acc + h * D + d), c);
      a[h][1] = _mm256_mul_ps(_mm256_loadu_ps(acc + h * D + d + 8), c);
    }
    for (int t = 0; t < n; t++) {
      const __m256 x0 = _mm256_loadu_ps(keys[t] + d), x1 = _mm256_loadu_ps(keys[t] + d + 8);
      for (int h = 0; h < kHeadBlock; h++) {
        const __m256 pt = _mm256_broadcast_ss(p + h * kTile + t);
        a[h][0] = _mm256_fmadd_ps(pt, x0, a[h][0]);
        a[h][1] = _mm256_fmadd_ps(pt, x1, a[h][1]);
      }
    }
    for (int h = 0; h < kHeadBlock; h++) {
      _mm256_storeu_ps(acc + h * D + d, a[h][0]);
      _mm256_storeu_ps(acc + h * D + d + 8, a[h][1]);
    }
  }
  for (; d < D; d++) {
    for (int h = 0; h < kHeadBlock; h++) {
      float a = acc[h * D + d] * corr[h];
      for (int t = 0; t < n; t++) a += p[h * kTile + t] * keys[t][d];
      acc[h * D + d] = a;
    }
  }
}

// the same for one head, 64 dims (eight accumulators) per pass
PLEXUS_AVX2 void accumulate_one(const float* p, float corr, const float* const* keys, int n, int64_t D, float* acc) {
  const __m256 vc = _mm256_set1_ps(corr);
  int64_t d = 0;
  for (; d + 64 <= D; d += 64) {
    __m256 a[8];
    for (int j = 0; j < 8; j++) a[j] = _mm256_mul_ps(_mm256_loadu_ps(acc + d + 8 * j), vc);
    for (int t = 0; t < n; t++) {
      const __m256 pt = _mm256_broadcast_ss(p + t);
      const float* k = keys[t] + d;
      for (int j = 0; j < 8; j++) a[j] = _mm256_fmadd_ps(pt, _mm256_loadu_ps(k + 8 * j), a[j]);
    }
    for (int j = 0; j < 8; j++) _mm256_storeu_ps(acc + d + 8 * j, a[j]);
  }
  for (; d + 8 <= D; d += 8) {
    __m256 a = _mm256_mul_ps(_mm256_loadu_ps(acc + d), vc);
    for (int t = 0; t < n; t++) a = _mm256_fmadd_ps(_mm256_broadcast_ss(p + t), _mm256_loadu_ps(keys[t] + d), a);
    _mm256_storeu_ps(acc + d, a);
  }
  for (; d < D; d++) {
    float a = acc[d] * corr;
    for (int t = 0; t < n; t++) a += p[t] * keys[t][d];
    acc[d] = a;
  }
}

PLEXUS_AVX2 void update(int64_t G, float* s, int n, const float* const* keys, int64_t D, float* m, float* l, float* acc) {
  float corr[kMaxGroup];
  // per head: the tile's max, the rescale of what came before, probabilities in place of the scores
  for (int64_t g = 0; g < G; g++) {
    float* sg = s + g * kTile;
    float tmax = kNegInf;
    for (int t = 0; t < n; t++) tmax = std::max(tmax, sg[t]);
    if (tmax == kNegInf) {  // only -inf scores in this tile: nothing to add
      corr[g] = 1.f;
      std::fill(sg, sg + n, 0.f);
      continue;
    }
    const float mnew = std::max(m[g], tmax);
    corr[g] = m[g] == kNegInf ? 0.f : std::exp(m[g] - mnew);
    const float lsum = attention_tiles::exp_in_place(sg, n, mnew);
    l[g] = l[g] * corr[g] + lsum;
    m[g] = mnew;
  }
  int64_t g = 0;
  for (; g + kHeadBlock <= G; g += kHeadBlock) accumulate_block(s + g * kTile, corr + g, keys, n, D, acc + g * D);
  for (; g < G; g++) accumulate_one(s + g * kTile, corr[g], keys, n, D, acc + g * D);
}
}  // namespace

void dsv4_sparse_attention(const Dsv4SparseAttentionParams& p) { run(p, TileMath{scores, update}); }
}  // namespace avx2
#else
namespace avx2 {
void dsv4_sparse_attention(const Dsv4SparseAttentionParams& p) { portable::dsv4_sparse_attention(p); }
}  // namespace avx2
#endif

}  // namespace plexus
