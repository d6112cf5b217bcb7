// Turns validated JavaScript arguments into kernel parameters. Shared by the sync and async bindings;
// `keep` (optional) collects the JS objects whose memory the kernel reads, so an async call can hold them.
#pragma once
#include <napi.h>

#include <vector>

#include "bindings/args.h"
#include "ops/kernels.h"

namespace plexus::bind {

using KeepList = std::vector<Napi::Value>;

// The activations, output and optional bias (argument bias_index) of out[M, N] = x[M, K] · Wᵀ (+ bias), as
// every matmul binding takes them: checks their lengths and that out overlaps neither x nor the bias;
// returns the bias, or nullptr when absent. The caller checks its weights.
const float* parse_matmul_io(const Args& a, const Napi::CallbackInfo& info, const View<float>& out, const View<float>& x, int64_t M, int64_t N,
                             int64_t K, size_t bias_index, KeepList* keep);

// matmul(out, x, wBuffer, wByteOffset, wDtype, M, N, K, bias?)
MatmulParams parse_matmul(const Args& a, const Napi::CallbackInfo& info, KeepList* keep);
// attention({ q, out, kCache, vCache, blockSize, nKvHeads, headDim, headDimV, nHeads, scale, seqQStart,
//             seqQLen, seqKvLen, blockTables, blockTableStart, causal?, slidingWindow?, sinks?,
//             keyIndices?, keyIndexStart?, keyIndexCount? })
AttentionParams parse_attention(const Args& a, const Napi::CallbackInfo& info, KeepList* keep);

// True when [a, a + an) and [b, b + bn) (bytes) share memory.
bool overlaps(const void* a, size_t an, const void* b, size_t bn);

}  // namespace plexus::bind
