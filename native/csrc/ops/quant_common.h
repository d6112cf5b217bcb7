// Decoding tables shared by the FP8 and MXFP4 kernels (built once, exact for every input byte).
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

#include "common/half.h"
#include "ops/quant_kernels.h"

namespace plexus::quant {

struct Tables {
  float e4m3[256];   // E4M3 (fn) byte -> value; 0x7F / 0xFF -> NaN
  float e8m0[256];   // E8M0 byte b -> 2^(b - 127); 0xFF -> NaN
  float e2m1[16];    // E2M1 code -> value (bit 3 = sign)
  // 2^i for i in [kPow2Min, kPow2Max): 0 below the smallest denormal, inf above FLT_MAX, NaN from kPow2NaN
  static constexpr int kPow2Min = -400, kPow2Max = 1500, kPow2NaN = 1000;
  float pow2[kPow2Max - kPow2Min];

  Tables() {
    for (int b = 0; b < 256; b++) {
      const int s = b >> 7, e = (b >> 3) & 15, m = b & 7;
      float v;
      if (e == 15 && m == 7) v = NAN;
      else if (e == 0) v = std::ldexp(float(m), -9);             // subnormal: m/8 · 2^-6
      else v = std::ldexp(1.f + float(m) / 8.f, e - 7);
      e4m3[b] = s ? -v : v;
      e8m0[b] = b == 255 ? NAN : std::ldexp(1.f, b - 127);
    }
    const float mags[8] = {0.f, 0.5f, 1.f, 1.5f, 2.f, 3.f, 4.f, 6.f};
    for (int c = 0; c < 16; c++) e2m1[c] = (c & 8) ? -mags[c & 7] : mags[c & 7];
    for (int i = kPow2Min; i < kPow2Max; i++) {
      float v;
      if (i >= kPow2NaN) v = NAN;
      else if (i > 127) v = INFINITY;
      else if (i < -149) v = 0.f;
      else v = std::ldexp(1.f, i);
      pow2[i - kPow2Min] = v;
    }
  }
};

inline const Tables& tables() {
  static const Tables t;
  return t;
}

// 2^i from the table (i is clamped into the table's range, which covers every sum the kernels form)
inline float pow2(const Tables& t, int i) {
  if (i < Tables::kPow2Min) i = Tables::kPow2Min;
  if (i >= Tables::kPow2Max) i = Tables::kPow2Max - 1;
  return t.pow2[i - Tables::kPow2Min];
}

inline float fp8_scale(const Fp8MatmulParams& p, int64_t rb, int64_t kb) {
  const int64_t i = rb * p.scaleCols + kb;
  switch (p.st) {
    case ScaleType::E8M0: return tables().e8m0[p.scale[i]];
    case ScaleType::F32: { float f; std::memcpy(&f, p.scale + 4 * i, 4); return f; }
    default: { uint16_t h; std::memcpy(&h, p.scale + 2 * i, 2); return bf16_to_f32(h); }
  }
}

// Element k of an MXFP4 row in the internal layout (code only, unscaled).
inline int mxfp4_code(const uint8_t* row_codes, int64_t k) {
  const int64_t b = k >> 5, j = k & 31;
  const uint8_t byte = row_codes[b * 16 + (j & 15)];
  return j < 16 ? (byte & 15) : (byte >> 4);
}

// Activation rows prepared for the MXFP4 GEMV: float rows (portable) or int16 codes with one power-of-two
// exponent per 32 values (avx2: x[k] ≈ q[k] · 2^qexp[k/32]).
struct XRows {
  const float* f = nullptr;
  const int16_t* q = nullptr;
  const int32_t* qexp = nullptr;
  int64_t K = 0;
};

// The expert activation: g = min(g, L), u = clamp(u, ±L), h = g·σ(α g)·(u + offset).
inline float expert_act(float g, float u, bool has_limit, float limit, float alpha, float offset) {
  if (has_limit) {  // written so that NaN passes through
    g = limit < g ? limit : g;
    u = u < -limit ? -limit : u;
    u = limit < u ? limit : u;
  }
  return g / (1.f + std::exp(-alpha * g)) * (u + offset);
}

}  // namespace plexus::quant
