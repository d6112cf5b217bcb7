#include "bindings/args.h"

#include <cmath>

namespace plexus::bind {

namespace {
constexpr int64_t kMaxSafe = (int64_t(1) << 53) - 1;

std::string describe(const Napi::Value& v) {
  if (v.IsUndefined()) return "undefined";
  if (v.IsNull()) return "null";
  if (v.IsTypedArray()) {
    switch (v.As<Napi::TypedArray>().TypedArrayType()) {
      case napi_float32_array: return "Float32Array";
      case napi_float64_array: return "Float64Array";
      case napi_int32_array: return "Int32Array";
      case napi_uint32_array: return "Uint32Array";
      case napi_uint8_array: return "Uint8Array";
      default: return "another typed array";
    }
  }
  if (v.IsArrayBuffer()) return "ArrayBuffer";
  if (v.IsArray()) return "Array";
  if (v.IsNumber()) return "number";
  if (v.IsString()) return "string";
  if (v.IsBoolean()) return "boolean";
  return "object";
}

template <class T>
View<T> typed_of(const Args& a, const Napi::Value& v, const char* name, napi_typedarray_type want, const char* want_name) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != want)
    a.type_error(std::string(name) + " must be a " + want_name + ", got " + describe(v));
  auto ta = v.As<Napi::TypedArray>();
  View<T> out;
  out.length = ta.ElementLength();
  if (out.length > 0) {
    auto buf = ta.ArrayBuffer();
    out.data = reinterpret_cast<T*>(static_cast<uint8_t*>(buf.Data()) + ta.ByteOffset());
  }
  return out;
}
}  // namespace

void Args::type_error(const std::string& msg) const {
  throw Napi::TypeError::New(env(), std::string(op_) + ": " + msg);
}

void Args::range_error(const std::string& msg) const {
  throw Napi::RangeError::New(env(), std::string(op_) + ": " + msg);
}

View<float> f32_of(const Args& a, const Napi::Value& v, const char* name) {
  return typed_of<float>(a, v, name, napi_float32_array, "Float32Array");
}

View<int32_t> i32_of(const Args& a, const Napi::Value& v, const char* name) {
  return typed_of<int32_t>(a, v, name, napi_int32_array, "Int32Array");
}

double number_of(const Args& a, const Napi::Value& v, const char* name) {
  if (!v.IsNumber()) a.type_error(std::string(name) + " must be a number, got " + describe(v));
  return v.As<Napi::Number>().DoubleValue();
}

int64_t integer_of(const Args& a, const Napi::Value& v, const char* name, int64_t min, int64_t max) {
  const double d = number_of(a, v, name);
  if (!std::isfinite(d) || std::floor(d) != d || std::fabs(d) > double(kMaxSafe))
    a.range_error(std::string(name) + " must be an integer, got " + std::to_string(d));
  const int64_t i = int64_t(d);
  if (i < min || i > max)
    a.range_error(std::string(name) + " must be in [" + std::to_string(min) + ", " + std::to_string(max) + "], got " + std::to_string(i));
  return i;
}

View<float> Args::f32(size_t i, const char* name) const { return f32_of(*this, info_[i], name); }
View<int32_t> Args::i32(size_t i, const char* name) const { return i32_of(*this, info_[i], name); }
int64_t Args::integer(size_t i, const char* name, int64_t min, int64_t max) const { return integer_of(*this, info_[i], name, min, max); }
double Args::number(size_t i, const char* name) const { return number_of(*this, info_[i], name); }

bool Args::boolean(size_t i, const char* name, bool fallback) const {
  if (!present(i)) return fallback;
  if (!info_[i].IsBoolean()) type_error(std::string(name) + " must be a boolean, got " + describe(info_[i]));
  return info_[i].As<Napi::Boolean>().Value();
}

std::string Args::string(size_t i, const char* name) const {
  if (!info_[i].IsString()) type_error(std::string(name) + " must be a string, got " + describe(info_[i]));
  return info_[i].As<Napi::String>().Utf8Value();
}

WeightView Args::weight(size_t i_buffer, size_t i_offset, size_t i_dtype, const char* name, int64_t elements) const {
  const Napi::Value bv = info_[i_buffer];
  if (!bv.IsArrayBuffer()) type_error(std::string(name) + ".buffer must be an ArrayBuffer, got " + describe(bv));
  auto buf = bv.As<Napi::ArrayBuffer>();
  const std::string dt = string(i_dtype, (std::string(name) + ".dtype").c_str());
  WeightView w;
  if (dt == "F32") w.type = WeightType::F32;
  else if (dt == "BF16") w.type = WeightType::BF16;
  else if (dt == "F16") w.type = WeightType::F16;
  else type_error(std::string(name) + " has dtype " + dt + "; this op takes F32, BF16 or F16 (dequantize other dtypes first)");
  const int64_t offset = integer(i_offset, (std::string(name) + ".byteOffset").c_str(), 0, kMaxSafe);
  w.bytes = size_t(mul(*this, elements, weight_bytes(w.type)));
  const size_t have = buf.ByteLength();
  if (size_t(offset) > have || w.bytes > have - size_t(offset))
    range_error(std::string(name) + ": " + dt + " tensor of " + std::to_string(elements) + " elements at byte offset " +
                std::to_string(offset) + " needs " + std::to_string(w.bytes) + " bytes, its buffer has " + std::to_string(have) +
                (buf.IsDetached() ? " (the buffer is detached: was its file closed?)" : ""));
  if (w.type == WeightType::F32 && offset % 4 != 0)
    range_error(std::string(name) + ": F32 weights must start at a 4-byte aligned offset, got " + std::to_string(offset));
  if (w.type != WeightType::F32 && offset % 2 != 0)
    range_error(std::string(name) + ": " + dt + " weights must start at an even byte offset, got " + std::to_string(offset));
  w.data = elements > 0 ? static_cast<const uint8_t*>(buf.Data()) + offset : nullptr;
  return w;
}

int64_t mul(const Args& a, int64_t x, int64_t y) {
  if (x != 0 && y > kMaxSafe / x) a.range_error("shape too large: " + std::to_string(x) + " x " + std::to_string(y));
  return x * y;
}

}  // namespace plexus::bind
