// storeKv: copies each token's K and V rows into its cache slot (slot -1 = skip; validated by the binding).
#include <cstring>

#include "common/target.h"
#include "ops/kernels.h"
#include "threadpool.h"

namespace plexus {

namespace {
int64_t token_grain(const StoreKvParams& p) {
  const int64_t row = p.nKvHeads * (p.headDim + p.headDimV);
  return row >= 8192 ? 1 : 8192 / (row > 0 ? row : 1);
}
}  // namespace

namespace portable {
void store_kv(const StoreKvParams& p) {
  const int64_t ks = p.nKvHeads * p.headDim, vs = p.nKvHeads * p.headDimV;
  parallel_for(p.nTokens, token_grain(p), [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; t++) {
      const int64_t slot = p.slotMapping[t];
      if (slot < 0) continue;
      for (int64_t i = 0; i < ks; i++) p.kCache[slot * ks + i] = p.k[t * ks + i];
      for (int64_t i = 0; i < vs; i++) p.vCache[slot * vs + i] = p.v[t * vs + i];
    }
  });
}
}  // namespace portable

#if PLEXUS_HAS_X86
namespace avx2 {
// A copy is a copy: libc's memcpy already picks the widest moves this CPU has.
void store_kv(const StoreKvParams& p) {
  const int64_t ks = p.nKvHeads * p.headDim, vs = p.nKvHeads * p.headDimV;
  parallel_for(p.nTokens, token_grain(p), [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; t++) {
      const int64_t slot = p.slotMapping[t];
      if (slot < 0) continue;
      std::memcpy(p.kCache + slot * ks, p.k + t * ks, size_t(ks) * 4);
      std::memcpy(p.vCache + slot * vs, p.v + t * vs, size_t(vs) * 4);
    }
  });
}
}  // namespace avx2
#endif

}  // namespace plexus
