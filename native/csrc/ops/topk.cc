// topk per row: the k largest values, descending; equal values keep the lower index first. NaN ranks
// below every number (as -inf, after real -inf by index order).
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "common/simd_avx2.h"
#include "ops/kernels.h"
#include "threadpool.h"

namespace plexus {

namespace {
struct Item { float key; int32_t idx; };

inline float rank_key(float v) { return std::isnan(v) ? -std::numeric_limits<float>::infinity() : v; }
// a ranks before b
inline bool before(const Item& a, const Item& b) { return a.key > b.key || (a.key == b.key && a.idx < b.idx); }

thread_local std::vector<Item> t_heap;

// Min-heap (by rank) of the best k so far; heap[0] is the worst kept item.
struct TopkHeap {
  std::vector<Item>& h;
  int64_t k;
  void push_initial(Item it) { h.push_back(it); std::push_heap(h.begin(), h.end(), before); }
  float threshold() const { return h.front().key; }
  // Later indices lose ties, so only a strictly larger key gets in.
  void offer(float key, int32_t idx) {
    if (key > h.front().key) {
      std::pop_heap(h.begin(), h.end(), before);
      h.back() = Item{key, idx};
      std::push_heap(h.begin(), h.end(), before);
    }
  }
  void emit(const float* x, int32_t* indices, float* values) {
    std::sort(h.begin(), h.end(), before);
    for (int64_t j = 0; j < k; j++) { indices[j] = h[j].idx; values[j] = x[h[j].idx]; }
  }
};

int64_t row_grain(int64_t cols) { return cols >= 8192 ? 1 : 8192 / (cols > 0 ? cols : 1); }
}  // namespace

namespace portable {
void topk(const TopkParams& p) {
  if (p.k == 0) return;
  parallel_for(p.rows, row_grain(p.cols), [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; r++) {
      const float* x = p.x + r * p.cols;
      t_heap.clear();
      TopkHeap heap{t_heap, p.k};
      for (int64_t i = 0; i < p.k; i++) heap.push_initial(Item{rank_key(x[i]), int32_t(i)});
      for (int64_t i = p.k; i < p.cols; i++) heap.offer(rank_key(x[i]), int32_t(i));
      heap.emit(x, p.indices + r * p.k, p.values + r * p.k);
    }
  });
}
}  // namespace portable

#if PLEXUS_HAS_X86
namespace avx2 {
namespace {
// Skips 8 values at a time while none beats the current threshold (the common case for k << cols).
PLEXUS_AVX2 void scan(const float* x, int64_t from, int64_t n, TopkHeap& heap) {
  int64_t i = from;
  for (; i < n && (i & 7); i++) heap.offer(rank_key(x[i]), int32_t(i));
  __m256 th = _mm256_set1_ps(heap.threshold());
  for (; i + 8 <= n; i += 8) {
    int mask = _mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(x + i), th, _CMP_GT_OQ));
    if (!mask) continue;
    while (mask) {
      const int j = __builtin_ctz(unsigned(mask));
      mask &= mask - 1;
      heap.offer(rank_key(x[i + j]), int32_t(i + j));
    }
    th = _mm256_set1_ps(heap.threshold());
  }
  for (; i < n; i++) heap.offer(rank_key(x[i]), int32_t(i));
}
}  // namespace

void topk(const TopkParams& p) {
  if (p.k == 0) return;
  parallel_for(p.rows, row_grain(p.cols), [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; r++) {
      const float* x = p.x + r * p.cols;
      t_heap.clear();
      TopkHeap heap{t_heap, p.k};
      for (int64_t i = 0; i < p.k; i++) heap.push_initial(Item{rank_key(x[i]), int32_t(i)});
      scan(x, p.k, p.cols, heap);
      heap.emit(x, p.indices + r * p.k, p.values + r * p.k);
    }
  });
}
}  // namespace avx2
#endif

}  // namespace plexus
