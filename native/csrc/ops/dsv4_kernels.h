// DeepSeek-V4 kernel entry points: sparse attention with per-head sinks over explicit key lists, the
// lightning indexer's scores, and the KV compressor's per-channel softmax pooling. Each exists as
// plexus::portable and plexus::avx2 with the same signature (the semantics of the dsv4 plugin's
// TypeScript rows, plugins/dsv4/src/kernels/). Parameters are validated by bindings/dsv4_bindings.cc;
// kernels trust them.
#pragma once
#include <cstdint>

namespace plexus {

// Query i, head h: softmax over its keys keys[keyIndex[keyStart[i] .. keyStart[i+1])] of scale·(q·k), with
// exp(sinks[h] - max) added to the denominator only; out = Σ p·k (K = V: one shared head). No keys -> 0.
struct Dsv4SparseAttentionParams {
  const float* q;    // [numQueries, numHeads, headDim]
  float* out;        // [numQueries, numHeads, headDim]
  int64_t numQueries, numHeads, headDim;
  const float* keys;  // [numKeys, headDim]
  const int32_t* keyIndex;
  const int32_t* keyStart;  // [numQueries + 1]
  const float* sinks;       // [numHeads]
  float scale;
};

// out[i, t] = Σ_h weights[i, h] · ReLU(q[i, h] · keys[t]) for t < clamp(visible[i], 0, numKeys), else -inf.
struct Dsv4IndexerScoresParams {
  const float* q;        // [numQueries, numHeads, headDim]
  const float* weights;  // [numQueries, numHeads]
  const float* keys;     // [numKeys, headDim]
  const int32_t* visible;  // [numQueries]
  float* out;            // [numQueries, numKeys]
  int64_t numQueries, numHeads, headDim, numKeys;
};

// out[w, d] = Σ_c softmax_c(score[w, c, d]) · kv[w, c, d]; -inf scores weigh nothing; all -inf -> 0.
struct Dsv4CompressWindowsParams {
  float* out;          // [numWindows, dim]
  const float* kv;     // [numWindows, numCandidates, dim]
  const float* score;  // [numWindows, numCandidates, dim]
  int64_t numWindows, numCandidates, dim;
};

struct Dsv4OpTable {
  void (*sparse_attention)(const Dsv4SparseAttentionParams&);
  void (*indexer_scores)(const Dsv4IndexerScoresParams&);
  void (*compress_windows)(const Dsv4CompressWindowsParams&);
};

#define PLEXUS_DECLARE_DSV4_KERNELS                                  \
  void dsv4_sparse_attention(const Dsv4SparseAttentionParams&);   \
  void dsv4_indexer_scores(const Dsv4IndexerScoresParams&);       \
  void dsv4_compress_windows(const Dsv4CompressWindowsParams&);

namespace portable { PLEXUS_DECLARE_DSV4_KERNELS }
namespace avx2 { PLEXUS_DECLARE_DSV4_KERNELS }

}  // namespace plexus
