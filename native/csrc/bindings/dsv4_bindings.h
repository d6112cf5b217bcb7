// Registers the DeepSeek-V4 ops (dsv4SparseAttention, dsv4IndexerScores, dsv4CompressWindows as _avx2 /
// _portable) on the addon's exports.
#pragma once
#include <napi.h>

namespace plexus::bind {
void register_dsv4(Napi::Env env, Napi::Object exports);
}  // namespace plexus::bind
