// Tile math shared by the attention kernels (paged attention in attention.cc, DeepSeek-V4 sparse attention
// in dsv4_sparse_attention.cc). Both visit keys in tiles of `Tile`: scores for the tile, then an online-softmax
// update (running max m, running denominator l, rescaled accumulator); a per-head sink joins the denominator
// only, at the end. Scores live at s[h * Tile + t]. Everything here is static so each kernel file gets its
// own copy compiled with its own flags.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "common/simd_avx2.h"

namespace plexus::attention_tiles {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

// s[h * Tile + t] = scale · dot(q + h·qStride, keys[t]) for h < G, t < n
template <int Tile>
static void scores_portable(const float* q, int64_t qStride, int64_t G, const float* const* keys, int n, int64_t D, float scale, float* s) {
  for (int64_t h = 0; h < G; h++) {
    const float* qh = q + h * qStride;
    for (int t = 0; t < n; t++) {
      const float* k = keys[t];
      float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      int64_t d = 0;
      for (; d + 8 <= D; d += 8)
        for (int j = 0; j < 8; j++) acc[j] += qh[d + j] * k[d + j];
      float sum = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
      for (; d < D; d++) sum += qh[d] * k[d];
      s[h * Tile + t] = sum * scale;
    }
  }
}

// online softmax update of (m, l, acc[G, Dv]) for G heads with the tile's scores and value rows
template <int Tile>
static void update_portable(int64_t G, float* s, int n, const float* const* vals, int64_t Dv, float* m, float* l, float* acc) {
  for (int64_t h = 0; h < G; h++) {
    float* sh = s + h * Tile;
    float tmax = kNegInf;
    for (int t = 0; t < n; t++) tmax = std::max(tmax, sh[t]);
    if (tmax == kNegInf) continue;  // only -inf scores in this tile: nothing to add
    const float mnew = std::max(m[h], tmax);
    const float corr = m[h] == kNegInf ? 0.f : std::exp(m[h] - mnew);
    float* ah = acc + h * Dv;
    if (corr != 1.f) for (int64_t d = 0; d < Dv; d++) ah[d] *= corr;
    float lsum = 0.f;
    for (int t = 0; t < n; t++) {
      const float pt = std::exp(sh[t] - mnew);
      lsum += pt;
      const float* v = vals[t];
      for (int64_t d = 0; d < Dv; d++) ah[d] += pt * v[d];
    }
    l[h] = l[h] * corr + lsum;
    m[h] = mnew;
  }
}

// one head's output: out = acc / (l + exp(*sink - m)); sink null = no sink; no key seen (m = -inf) -> zeros
static inline void normalize_head(const float* acc, int64_t Dv, float m, float l, const float* sink, float* out) {
  float denom = l;
  if (sink && m != kNegInf) denom += std::exp(*sink - m);
  const float inv = (m == kNegInf || denom == 0.f) ? 0.f : 1.f / denom;
  for (int64_t d = 0; d < Dv; d++) out[d] = acc[d] * inv;
}

}  // namespace plexus::attention_tiles

#if PLEXUS_HAS_X86
namespace plexus::avx2::attention_tiles {

// one head: s[t] = scale · dot(q, keys[t]); eight keys at a time, eight FMA chains share each q load
PLEXUS_AVX2 static inline void scores_one_head(const float* q, const float* const* keys, int n, int64_t D, float scale, float* s) {
  int t = 0;
  for (; t + 8 <= n; t += 8) {
    __m256 a[8];
    for (int j = 0; j < 8; j++) a[j] = _mm256_setzero_ps();
    int64_t d = 0;
    for (; d + 8 <= D; d += 8) {
      const __m256 qv = _mm256_loadu_ps(q + d);
      for (int j = 0; j < 8; j++) a[j] = _mm256_fmadd_ps(qv, _mm256_loadu_ps(keys[t + j] + d), a[j]);
    }
    for (int j = 0; j < 8; j++) {
      float r = hsum(a[j]);
      for (int64_t dd = d; dd < D; dd++) r += q[dd] * keys[t + j][dd];
      s[t + j] = r * scale;
    }
  }
  for (; t < n; t++) {
    const float* k = keys[t];
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    int64_t d = 0;
    for (; d + 16 <= D; d += 16) {
      a0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + d), _mm256_loadu_ps(k + d), a0);
      a1 = _mm256_fmadd_ps(_mm256_loadu_ps(q + d + 8), _mm256_loadu_ps(k + d + 8), a1);
    }
    for (; d + 8 <= D; d += 8) a0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + d), _mm256_loadu_ps(k + d), a0);
    float r = hsum(_mm256_add_ps(a0, a1));
    for (; d < D; d++) r += q[d] * k[d];
    s[t] = r * scale;
  }
}

// the tile's probabilities in place of its scores, s[t] = exp(s[t] - mnew), 8 at a time; returns their sum
PLEXUS_AVX2 static inline float exp_in_place(float* s, int n, float mnew) {
  const __m256 bm = _mm256_set1_ps(mnew);
  int t = 0;
  __m256 vs = _mm256_setzero_ps();
  for (; t + 8 <= n; t += 8) {
    const __m256 e = exp(_mm256_sub_ps(_mm256_loadu_ps(s + t), bm));
    _mm256_storeu_ps(s + t, e);
    vs = _mm256_add_ps(vs, e);
  }
  float lsum = hsum(vs);
  for (; t < n; t++) { s[t] = std::exp(s[t] - mnew); lsum += s[t]; }
  return lsum;
}

}  // namespace plexus::avx2::attention_tiles
#endif
