// Registers the quantized-weight ops (fp8Matmul, mxfp4Matmul, mxfp4Moe as _avx2 / _portable) and the
// load-time helpers (mxfp4Pack, fp8FirstNaN) on the addon's exports.
#pragma once
#include <napi.h>

namespace plexus::bind {
void register_quant(Napi::Env env, Napi::Object exports);
}  // namespace plexus::bind
