// Every op is bound twice, as <op>_avx2 and <op>_portable; the AVX2 binding refuses to run on a CPU that
// lacks avx2/fma/f16c (instead of dying on an illegal instruction). Shared by the bindings/*.cc files.
#pragma once
#include <napi.h>

#include <cstdint>
#include <string>

#include "bindings/args.h"
#include "capabilities.h"

namespace plexus::bind {

// the largest dimension a binding accepts
constexpr int64_t kMaxDim = int64_t(1) << 31;

template <bool Avx2>
void require_cpu(const Args& a) {
  if (Avx2 && !has_avx2_path())
    throw Napi::Error::New(a.env(), std::string(a.op()) + ": this CPU lacks avx2/fma/f16c; use the portable kernels");
}

// the kernel table of one variant, after checking the CPU can run it
template <bool Avx2, class Table>
const Table& variant_table(const Args& a, const Table& avx2, const Table& portable) {
  require_cpu<Avx2>(a);
  if constexpr (Avx2) return avx2;
  else return portable;
}

// exports name + "_avx2" or name + "_portable"
template <bool Avx2>
struct VariantExports {
  Napi::Env env;
  Napi::Object exports;
  void operator()(const char* name, Napi::Function::Callback cb) const {
    const std::string full = std::string(name) + (Avx2 ? "_avx2" : "_portable");
    exports.Set(full, Napi::Function::New(env, cb, full));
  }
};

}  // namespace plexus::bind
