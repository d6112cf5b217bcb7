// Turns validated JavaScript arguments into kernel parameters. Shared by the sync and async bindings;
// `keep` (optional) collects the JS objects whose memory the kernel reads, so an async call can hold them.
#pragma once
#include <napi.h>

#include <vector>

#include "bindings/args.h"
#include "ops/kernels.h"

namespace plexus::bind {

using KeepList = std::vector<Napi::Value>;

// matmul(out, x, wBuffer, wByteOffset, wDtype, M, N, K, bias?)
MatmulParams parse_matmul(const Args& a, const Napi::CallbackInfo& info, KeepList* keep);
// attention({ q, out, kCache, vCache, blockSize, nKvHeads, headDim, headDimV, nHeads, scale, seqQStart,
//             seqQLen, seqKvLen, blockTables, blockTableStart, causal?, slidingWindow?, sinks?,
//             keyIndices?, keyIndexStart?, keyIndexCount? })
AttentionParams parse_attention(const Args& a, const Napi::CallbackInfo& info, KeepList* keep);

// True when [a, a + an) and [b, b + bn) (bytes) share memory.
bool overlaps(const void* a, size_t an, const void* b, size_t bn);

}  // namespace plexus::bind
