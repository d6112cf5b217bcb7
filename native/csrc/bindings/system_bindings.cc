// Bindings for the non-op surface: file mapping, capabilities, thread count, roofline probes.
#include <napi.h>

#include "bindings/args.h"
#include "bindings/register.h"
#include "capabilities.h"
#include "mmap.h"
#include "ops/kernels.h"
#include "threadpool.h"

namespace plexus::bind {

namespace {

Napi::Value MapFile(const Napi::CallbackInfo& info) {
  Args a(info, "mapFile");
  const std::string path = a.string(0, "path");
  Mapping m;
  try {
    m = map_file_readonly(path);
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), e.what());
  }
  if (m.length == 0) return Napi::ArrayBuffer::New(info.Env(), size_t(0));
  MappingState* state = register_mapping(m);
  // External ArrayBuffer: V8 does not own (or count) the bytes; the finalizer unmaps on GC.
  return Napi::ArrayBuffer::New(info.Env(), m.base, m.length,
                                [](Napi::Env, void*, MappingState* s) { finalize_mapping(s); }, state);
}

Napi::Value UnmapFile(const Napi::CallbackInfo& info) {
  Args a(info, "unmapFile");
  if (!info[0].IsArrayBuffer()) a.type_error("expected the ArrayBuffer returned by mapFile");
  auto buf = info[0].As<Napi::ArrayBuffer>();
  if (buf.IsDetached() || buf.ByteLength() == 0) return info.Env().Undefined();
  void* base = buf.Data();
  // Detach first so JavaScript can no longer reach the pages, then unmap (deferred while pinned).
  buf.Detach();
  release_mapping(base);
  return info.Env().Undefined();
}

Napi::Value Capabilities(const Napi::CallbackInfo& info) {
  const auto& c = capabilities();
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("arch", c.arch);
  o.Set("avx2", c.avx2);
  o.Set("fma", c.fma);
  o.Set("f16c", c.f16c);
  o.Set("avx512f", c.avx512f);
  o.Set("avx512bf16", c.avx512bf16);
  o.Set("avx512vnni", c.avx512vnni);
  o.Set("neon", c.neon);
  o.Set("cores", c.cores);
  return o;
}

Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  Args a(info, "setNumThreads");
  ThreadPool::instance().resize(int(a.integer(0, "n", 1, 1024)));
  return info.Env().Undefined();
}

Napi::Value GetNumThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), ThreadPool::instance().size());
}

Napi::Value StreamReadSum(const Napi::CallbackInfo& info) {
  Args a(info, "streamReadSum");
  auto v = a.f32(0, "data");
  return Napi::Number::New(info.Env(), stream_read_sum(v.data, int64_t(v.length)));
}

Napi::Value FmaPeakRun(const Napi::CallbackInfo& info) {
  Args a(info, "fmaPeakRun");
  if (!has_avx2_path()) a.range_error("needs avx2/fma");
  return Napi::Number::New(info.Env(), fma_peak_run(a.integer(0, "iterations", 1, int64_t(1) << 40)));
}

}  // namespace

void register_system(Napi::Env env, Napi::Object exports) {
  exports.Set("mapFile", Napi::Function::New(env, MapFile, "mapFile"));
  exports.Set("unmapFile", Napi::Function::New(env, UnmapFile, "unmapFile"));
  exports.Set("capabilities", Napi::Function::New(env, Capabilities, "capabilities"));
  exports.Set("setNumThreads", Napi::Function::New(env, SetNumThreads, "setNumThreads"));
  exports.Set("getNumThreads", Napi::Function::New(env, GetNumThreads, "getNumThreads"));
  exports.Set("streamReadSum", Napi::Function::New(env, StreamReadSum, "streamReadSum"));
  exports.Set("fmaPeakRun", Napi::Function::New(env, FmaPeakRun, "fmaPeakRun"));
}

}  // namespace plexus::bind
