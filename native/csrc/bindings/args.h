// Argument validation for the N-API bindings: every typed array, length and integer is checked here and
// a TypeError / RangeError names the op and the argument. Kernels never see unchecked input.
#pragma once
#include <napi.h>

#include <cstdint>
#include <string>

#include "common/half.h"

namespace plexus::bind {

template <class T>
struct View {
  T* data = nullptr;
  size_t length = 0;
};

struct WeightView {
  const void* data = nullptr;
  size_t bytes = 0;
  WeightType type = WeightType::F32;
};

class Args {
 public:
  Args(const Napi::CallbackInfo& info, const char* op) : info_(info), op_(op) {}
  Napi::Env env() const { return info_.Env(); }
  const char* op() const { return op_; }

  [[noreturn]] void type_error(const std::string& msg) const;
  [[noreturn]] void range_error(const std::string& msg) const;
  void require(bool ok, const std::string& msg) const { if (!ok) range_error(msg); }

  bool present(size_t i) const { return i < info_.Length() && !info_[i].IsUndefined() && !info_[i].IsNull(); }
  View<float> f32(size_t i, const char* name) const;
  View<int32_t> i32(size_t i, const char* name) const;
  int64_t integer(size_t i, const char* name, int64_t min, int64_t max) const;
  double number(size_t i, const char* name) const;
  bool boolean(size_t i, const char* name, bool fallback) const;
  std::string string(size_t i, const char* name) const;
  // (ArrayBuffer, byteOffset, dtype) describing `elements` weight values; dtype is 'F32' | 'BF16' | 'F16'.
  WeightView weight(size_t i_buffer, size_t i_offset, size_t i_dtype, const char* name, int64_t elements) const;

 private:
  const Napi::CallbackInfo& info_;
  const char* op_;
};

// Same checks for values read from an options object.
View<float> f32_of(const Args& a, const Napi::Value& v, const char* name);
View<int32_t> i32_of(const Args& a, const Napi::Value& v, const char* name);
int64_t integer_of(const Args& a, const Napi::Value& v, const char* name, int64_t min, int64_t max);
double number_of(const Args& a, const Napi::Value& v, const char* name);

// Overflow-checked product for shape arithmetic (throws RangeError on overflow past 2^53).
int64_t mul(const Args& a, int64_t x, int64_t y);

}  // namespace plexus::bind
