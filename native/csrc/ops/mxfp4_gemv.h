// MXFP4 GEMV building blocks shared by the kernel drivers (mxfp4_gemm.cc) and the AVX2 GEMV
// (mxfp4_gemv_avx2.cc): activation rows prepared once per call, and the GEMV over a range of weight rows.
#pragma once
#include <cstdint>
#include <vector>

#include "common/aligned_buffer.h"
#include "ops/quant_kernels.h"

namespace plexus::mxfp4 {

// Activation rows as the GEMVs read them. The portable path reads the floats `f`. The AVX2 path reads x
// quantized per 32-block to int16, x ≈ q · 2^e with max |q| in [2^14, 32639], split as q = 256·qh + ql
// (both bytes signed) and laid out like the weight slices (mxfp4_layout.h): per row and superblock, for
// slice t and nibble half h, 32 low bytes then 32 high bytes, lane j = block j's 4 elements.
struct XRows {
  const float* f = nullptr;      // [rows, K]
  const uint8_t* q = nullptr;    // [rows][superblocks][4][2][64]
  const int32_t* corr = nullptr; // [rows][superblocks · 8]: 12 · Σ q over the block (the weight table is offset by 12)
  const float* xf = nullptr;     // [rows][superblocks · 8]: 2^(e − 1); NaN for a block with inf/NaN, 0 for padding
  int64_t K = 0, supers = 0;
  bool exact = false;            // an exponent is outside the integer path's range: use the float path
};

// Storage behind XRows (per calling thread). q is 64-byte aligned: the kernel reads it with 32-byte loads,
// none of which may straddle a cache line.
struct XBuffers {
  AlignedBuffer q;
  std::vector<int32_t> corr;
  std::vector<float> xf;
};

constexpr int64_t kXBytesPerSuper = 512;

namespace avx2 {
// Quantizes `rows` rows of x [rows, K] into st and describes them in out (uses the thread pool).
void prepare(const float* x, int64_t rows, int64_t K, XBuffers& st, XRows& out);
// out[i · ldo + (r − col_base)] = W[r] · x[idx[i]] for weight rows r in [r0, r1) and i < n (x.exact unset).
void gemv(const Mxfp4Matrix& w, int64_t r0, int64_t r1, const XRows& x, const int32_t* idx, int64_t n, float* out, int64_t ldo,
          int64_t col_base);
}  // namespace avx2

}  // namespace plexus::mxfp4
