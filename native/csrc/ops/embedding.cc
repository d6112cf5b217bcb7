// embedding: out[t, :] = table[ids[t], :] converted to f32 (ids validated by the binding).
#include <cstring>

#include "common/simd_avx2.h"
#include "ops/kernels.h"
#include "threadpool.h"

namespace plexus {

namespace {
int64_t token_grain(int64_t dim) { return dim >= 4096 ? 1 : 4096 / (dim > 0 ? dim : 1); }
}  // namespace

namespace portable {
void embedding(const EmbeddingParams& p) {
  parallel_for(p.nTokens, token_grain(p.dim), [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; t++) {
      const int64_t base = int64_t(p.ids[t]) * p.dim;
      float* out = p.out + t * p.dim;
      for (int64_t i = 0; i < p.dim; i++) out[i] = load_weight(p.table, base + i, p.wt);
    }
  });
}
}  // namespace portable

#if PLEXUS_HAS_X86
namespace avx2 {
namespace {
template <WeightType T>
PLEXUS_AVX2 void rows(const EmbeddingParams& p, int64_t b, int64_t e) {
  for (int64_t t = b; t < e; t++) {
    const int64_t base = int64_t(p.ids[t]) * p.dim;
    float* out = p.out + t * p.dim;
    if constexpr (T == WeightType::F32) {
      std::memcpy(out, static_cast<const float*>(p.table) + base, size_t(p.dim) * 4);
    } else {
      int64_t i = 0;
      for (; i + 8 <= p.dim; i += 8) _mm256_storeu_ps(out + i, load_w<T>(p.table, base + i));
      for (; i < p.dim; i++) out[i] = load_weight(p.table, base + i, T);
    }
  }
}
}  // namespace

void embedding(const EmbeddingParams& p) {
  parallel_for(p.nTokens, token_grain(p.dim), [&](int64_t b, int64_t e) {
    if (p.wt == WeightType::F32) rows<WeightType::F32>(p, b, e);
    else if (p.wt == WeightType::BF16) rows<WeightType::BF16>(p, b, e);
    else rows<WeightType::F16>(p, b, e);
  });
}
}  // namespace avx2
#endif

}  // namespace plexus
