// Quantized-weight kernel entry points: FP8 (E4M3, block scales) and MXFP4 (E2M1 codes, E8M0 scale per 32).
// Like kernels.h, each exists as plexus::portable and plexus::avx2 with the same signature. Parameters
// are validated by bindings/quant_bindings.cc before a kernel runs; kernels trust them.
//
// MXFP4 internal layout: codes [rows, cols/2] and scales [rows, cols/32]; the codes of a row are arranged in
// superblocks of 8 blocks (see ops/mxfp4_layout.h), scales stay in block order.
#pragma once
#include <cstdint>

namespace plexus {

enum class ScaleType : int { E8M0 = 0, F32 = 1, BF16 = 2 };

struct Fp8MatmulParams {
  float* out;          // [M, N]
  const float* x;      // [M, K]
  int64_t M, N, K;
  const uint8_t* w;    // e4m3 [N, K]
  const uint8_t* scale;  // [ceil(N/blockN), scaleCols] of ScaleType
  ScaleType st;
  int64_t scaleCols;
  int64_t blockN, blockK;
  const float* bias;   // [N] or nullptr
};

struct Mxfp4Matrix {
  const uint8_t* codes;   // [rows, cols/2]
  const uint8_t* scales;  // [rows, cols/32]
  int64_t rows, cols;
};

struct Mxfp4MatmulParams {
  float* out;      // [M, N]
  const float* x;  // [M, K]
  int64_t M;
  Mxfp4Matrix w;   // [N, K]
  const float* bias;
};

// Routed experts of one MoE layer (see Mxfp4MoeArgs in native/src/quant-ops.ts).
struct Mxfp4MoeParams {
  float* out;        // [T, H]
  const float* x;    // [T, H]
  int64_t T, H, I, E;
  Mxfp4Matrix gateUp;  // [E*2I, H], gate row i of expert e at e*2I + 2i, up row at e*2I + 2i + 1
  Mxfp4Matrix down;    // [E*H, I]
  const float* gateUpBias;  // [E*2I] or nullptr
  const float* downBias;    // [E*H] or nullptr
  int64_t nActive;
  const int32_t* experts;      // [nActive]
  const int32_t* expertStart;  // [nActive + 1]
  const int32_t* slotToken;    // [S]
  const float* slotWeight;     // [S]
  int64_t S;
  bool has_limit;
  float limit, alpha, upOffset;
};

struct QuantOpTable {
  void (*fp8_matmul)(const Fp8MatmulParams&);
  void (*mxfp4_matmul)(const Mxfp4MatmulParams&);
  void (*mxfp4_moe)(const Mxfp4MoeParams&);
};

#define PLEXUS_DECLARE_QUANT_KERNELS              \
  void fp8_matmul(const Fp8MatmulParams&);        \
  void mxfp4_matmul(const Mxfp4MatmulParams&);    \
  void mxfp4_moe(const Mxfp4MoeParams&);

namespace portable { PLEXUS_DECLARE_QUANT_KERNELS }
namespace avx2 { PLEXUS_DECLARE_QUANT_KERNELS }

// Index of the first E4M3 NaN byte (0x7F / 0xFF) in p[0, n), or -1.
int64_t fp8_first_nan(const uint8_t* p, int64_t n);

// Converts `rows` rows of checkpoint MXFP4 planes (nibble order interleaved = byte j holds elements 2j and
// 2j+1, else split-half) into the internal layout at destination rows dst_start + r * dst_stride. Returns
// the index in src_scales of the first NaN scale (0xFF), or -1.
int64_t mxfp4_pack(uint8_t* dst_codes, uint8_t* dst_scales, int64_t cols, const uint8_t* src_codes, const uint8_t* src_scales,
                   int64_t rows, bool interleaved, int64_t dst_start, int64_t dst_stride);

}  // namespace plexus
