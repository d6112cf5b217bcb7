// Kernel entry points. Every op exists twice with the same signature: plexus::portable (plain C++) and
// plexus::avx2 (AVX2/FMA/F16C, per-function target attributes). Parameters are validated by the bindings
// before a kernel runs; kernels trust them.
#pragma once
#include <cstdint>

#include "common/half.h"

namespace plexus {

struct MatmulParams {
  float* out;        // [M, N]
  const float* x;    // [M, K]
  const void* w;     // [N, K] in wt
  WeightType wt;
  int64_t M, N, K;
  const float* bias; // [N] or nullptr
};

struct RmsnormParams {
  float* out;
  const float* x;
  const void* w;  // [dim] or nullptr (unweighted)
  WeightType wt;
  int64_t rows, dim;
  float eps;
};

struct RopeParams {
  float* x;  // [nTokens, nHeads, headDim]
  const int32_t* positions;
  int64_t nTokens, nHeads, headDim, rotaryDim, rotaryOffset;
  const float* invFreq;  // [rotaryDim / 2]
  float mscale;
  bool interleaved, inverse;
};

struct SoftmaxParams { float* x; int64_t rows, cols; };

struct SwigluParams {
  float* out;
  const float* gate;
  const float* up;
  int64_t n;
  bool has_limit;
  float limit;
};

struct GeluParams { float* out; const float* x; int64_t n; bool tanh_approx; };

struct EmbeddingParams {
  float* out;  // [nTokens, dim]
  const void* table;  // [vocab, dim]
  WeightType wt;
  int64_t dim;
  const int32_t* ids;
  int64_t nTokens;
};

struct ArgmaxParams { const float* x; int64_t rows, cols; int32_t* out; };

struct TopkParams {
  const float* x;
  int64_t rows, cols, k;
  int32_t* indices;  // [rows, k]
  float* values;     // [rows, k]
};

struct StoreKvParams {
  float* kCache;
  float* vCache;
  int64_t nKvHeads, headDim, headDimV;
  const float* k;
  const float* v;
  const int32_t* slotMapping;
  int64_t nTokens;
};

struct AttentionParams {
  const float* q;  // [nTokens, nHeads, headDim]
  float* out;      // [nTokens, nHeads, headDimV]
  const float* kCache;
  const float* vCache;
  int64_t blockSize, nKvHeads, headDim, headDimV, nHeads, nTokens, nSeqs;
  float scale;
  const int32_t* seqQStart;
  const int32_t* seqQLen;
  const int32_t* seqKvLen;
  const int32_t* blockTables;
  const int32_t* blockTableStart;
  bool causal;
  int64_t slidingWindow;
  const float* sinks;  // [nHeads] or nullptr
  const int32_t* keyIndices;  // nullptr = dense
  const int32_t* keyIndexStart;
  const int32_t* keyIndexCount;
};

struct OpTable {
  void (*matmul)(const MatmulParams&);
  void (*rmsnorm)(const RmsnormParams&);
  void (*rope)(const RopeParams&);
  void (*softmax)(const SoftmaxParams&);
  void (*swiglu)(const SwigluParams&);
  void (*gelu)(const GeluParams&);
  void (*embedding)(const EmbeddingParams&);
  void (*argmax)(const ArgmaxParams&);
  void (*topk)(const TopkParams&);
  void (*store_kv)(const StoreKvParams&);
  void (*attention)(const AttentionParams&);
};

#define PLEXUS_DECLARE_KERNELS                 \
  void matmul(const MatmulParams&);          \
  void rmsnorm(const RmsnormParams&);        \
  void rope(const RopeParams&);              \
  void softmax(const SoftmaxParams&);        \
  void swiglu(const SwigluParams&);          \
  void gelu(const GeluParams&);              \
  void embedding(const EmbeddingParams&);    \
  void argmax(const ArgmaxParams&);          \
  void topk(const TopkParams&);              \
  void store_kv(const StoreKvParams&);       \
  void attention(const AttentionParams&);

namespace portable { PLEXUS_DECLARE_KERNELS }
namespace avx2 { PLEXUS_DECLARE_KERNELS }

// Roofline probes for the benchmark: read-only streaming sum over a buffer on all pool threads, and an
// FMA-bound loop; both return what they computed so the work cannot be optimised away.
double stream_read_sum(const float* data, int64_t n);
double fma_peak_run(int64_t iterations_per_thread);  // returns flops performed

}  // namespace plexus
