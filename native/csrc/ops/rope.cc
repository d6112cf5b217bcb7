// rope: rotary embeddings on dims [rotaryOffset, rotaryOffset + rotaryDim) of every head, in place.
// angle = f32(position * invFreq[i]) as HF computes it in float32; cos/sin in double of that angle,
// scaled by mscale; inverse rotates by -angle. neox pairs (i, i + rotaryDim/2), interleaved (2i, 2i+1).
#include <cmath>
#include <vector>

#include "common/simd_avx2.h"
#include "ops/kernels.h"
#include "threadpool.h"

namespace plexus {

namespace {
thread_local std::vector<float> t_cs;

// cs[0 .. half) = cos, cs[half .. 2*half) = sin (negated when inverse)
void angles(const RopeParams& p, int64_t t, float* cs) {
  const int64_t half = p.rotaryDim / 2;
  const float pos = float(p.positions[t]);
  for (int64_t i = 0; i < half; i++) {
    const float ang = pos * p.invFreq[i];
    cs[i] = float(std::cos(double(ang))) * p.mscale;
    const float sn = float(std::sin(double(ang))) * p.mscale;
    cs[half + i] = p.inverse ? -sn : sn;
  }
}

int64_t token_grain(const RopeParams& p) {
  const int64_t work = p.nHeads * p.rotaryDim + p.rotaryDim * 8;
  return work >= 4096 ? 1 : 4096 / (work > 0 ? work : 1);
}
}  // namespace

namespace portable {
void rope(const RopeParams& p) {
  if (p.rotaryDim == 0 || p.nHeads == 0) return;
  const int64_t half = p.rotaryDim / 2;
  parallel_for(p.nTokens, token_grain(p), [&](int64_t b, int64_t e) {
    std::vector<float>& buf = t_cs;
    if (buf.size() < size_t(2 * half)) buf.resize(size_t(2 * half));
    const float* c = buf.data();
    const float* s = buf.data() + half;
    for (int64_t t = b; t < e; t++) {
      angles(p, t, buf.data());
      for (int64_t h = 0; h < p.nHeads; h++) {
        float* x = p.x + (t * p.nHeads + h) * p.headDim + p.rotaryOffset;
        if (p.interleaved) {
          for (int64_t i = 0; i < half; i++) {
            const float x1 = x[2 * i], x2 = x[2 * i + 1];
            x[2 * i] = x1 * c[i] - x2 * s[i];
            x[2 * i + 1] = x2 * c[i] + x1 * s[i];
          }
        } else {
          for (int64_t i = 0; i < half; i++) {
            const float x1 = x[i], x2 = x[half + i];
            x[i] = x1 * c[i] - x2 * s[i];
            x[half + i] = x2 * c[i] + x1 * s[i];
          }
        }
      }
    }
  });
}
}  // namespace portable

#if PLEXUS_HAS_X86
namespace avx2 {
namespace {
thread_local std::vector<float> t_pairs;

PLEXUS_AVX2 void rotate_tokens(const RopeParams& p, int64_t b, int64_t e) {
  const int64_t half = p.rotaryDim / 2;
  std::vector<float>& buf = t_cs;
  if (buf.size() < size_t(2 * half)) buf.resize(size_t(2 * half));
  std::vector<float>& pairs = t_pairs;  // interleaved: cos/sin expanded to one value per dimension
  if (pairs.size() < size_t(2 * p.rotaryDim)) pairs.resize(size_t(2 * p.rotaryDim));
  const float* c = buf.data();
  const float* s = buf.data() + half;
  float* cc = pairs.data();
  float* ss = pairs.data() + p.rotaryDim;
  for (int64_t t = b; t < e; t++) {
    angles(p, t, buf.data());
    if (p.interleaved) {
      for (int64_t i = 0; i < half; i++) { cc[2 * i] = cc[2 * i + 1] = c[i]; ss[2 * i] = -s[i]; ss[2 * i + 1] = s[i]; }
    }
    for (int64_t h = 0; h < p.nHeads; h++) {
      float* x = p.x + (t * p.nHeads + h) * p.headDim + p.rotaryOffset;
      int64_t i = 0;
      if (p.interleaved) {
        // out = x * cc + swap_pairs(x) * ss, with ss = (-s, s) per pair
        for (; i + 8 <= p.rotaryDim; i += 8) {
          const __m256 v = _mm256_loadu_ps(x + i);
          const __m256 sw = _mm256_permute_ps(v, 0xB1);
          _mm256_storeu_ps(x + i, _mm256_fmadd_ps(v, _mm256_loadu_ps(cc + i), _mm256_mul_ps(sw, _mm256_loadu_ps(ss + i))));
        }
        for (; i < p.rotaryDim; i += 2) {
          const float x1 = x[i], x2 = x[i + 1];
          x[i] = x1 * c[i / 2] - x2 * s[i / 2];
          x[i + 1] = x2 * c[i / 2] + x1 * s[i / 2];
        }
      } else {
        for (; i + 8 <= half; i += 8) {
          const __m256 x1 = _mm256_loadu_ps(x + i), x2 = _mm256_loadu_ps(x + half + i);
          const __m256 vc = _mm256_loadu_ps(c + i), vs = _mm256_loadu_ps(s + i);
          _mm256_storeu_ps(x + i, _mm256_fmsub_ps(x1, vc, _mm256_mul_ps(x2, vs)));
          _mm256_storeu_ps(x + half + i, _mm256_fmadd_ps(x2, vc, _mm256_mul_ps(x1, vs)));
        }
        for (; i < half; i++) {
          const float x1 = x[i], x2 = x[half + i];
          x[i] = x1 * c[i] - x2 * s[i];
          x[half + i] = x2 * c[i] + x1 * s[i];
        }
      }
    }
  }
}
}  // namespace

void rope(const RopeParams& p) {
  if (p.rotaryDim == 0 || p.nHeads == 0) return;
  parallel_for(p.nTokens, token_grain(p), [&](int64_t b, int64_t e) { rotate_tokens(p, b, e); });
}
}  // namespace avx2
#endif

}  // namespace plexus
