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
  }
};

inline const Tables& tables() {
  static const Tables t;
  return t;
}

inline float fp8_scale(const Fp8MatmulParams& p, int64_t rb, int64_t kb) {
  const int64_t i = rb * p.scaleCols + kb;
  switch (p.st) {
    case ScaleType::E8M0: return tables().e8m0[p.scale[i]];
    case ScaleType::F32: { float f; std::memcpy(&f, p.scale + 4 * i, 4); return f; }
    default: { uint16_t h; std::memcpy(&h, p.scale + 2 * i, 2); return bf16_to_f32(h); }
  }
}

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
