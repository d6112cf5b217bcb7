// Scalar bf16 / f16 <-> f32 conversions (portable C++, no intrinsics).
#pragma once
#include <cstdint>
#include <cstring>

namespace plexus {

inline float bits_to_f32(uint32_t u) { float f; std::memcpy(&f, &u, 4); return f; }
inline uint32_t f32_to_bits(float f) { uint32_t u; std::memcpy(&u, &f, 4); return u; }

// bf16 is the high half of an f32.
inline float bf16_to_f32(uint16_t h) { return bits_to_f32(uint32_t(h) << 16); }

// IEEE binary16 -> binary32, exact for every input (subnormals, inf, NaN).
inline float f16_to_f32(uint16_t h) {
  const uint32_t sign = uint32_t(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1fu;
  uint32_t mant = h & 0x3ffu;
  if (exp == 0x1f) return bits_to_f32(sign | 0x7f800000u | (mant << 13));
  if (exp != 0) return bits_to_f32(sign | ((exp + 112u) << 23) | (mant << 13));
  if (mant == 0) return bits_to_f32(sign);
  // subnormal: normalise the mantissa
  int e = -1;
  do { mant <<= 1; e++; } while ((mant & 0x400u) == 0);
  return bits_to_f32(sign | ((112u - uint32_t(e)) << 23) | ((mant & 0x3ffu) << 13));
}

enum class WeightType : int { F32 = 0, BF16 = 1, F16 = 2 };

inline float load_weight(const void* base, int64_t i, WeightType t) {
  switch (t) {
    case WeightType::F32: return static_cast<const float*>(base)[i];
    case WeightType::BF16: { uint16_t h; std::memcpy(&h, static_cast<const uint8_t*>(base) + 2 * i, 2); return bf16_to_f32(h); }
    default: { uint16_t h; std::memcpy(&h, static_cast<const uint8_t*>(base) + 2 * i, 2); return f16_to_f32(h); }
  }
}

inline int weight_bytes(WeightType t) { return t == WeightType::F32 ? 4 : 2; }

}  // namespace plexus
