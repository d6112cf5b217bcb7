// Cache-blocked GEMM driver shared by both matmul paths: out[M, N] = x[M, K] · w[N, K]ᵀ (+ bias).
// x is packed once into MR-row panels ([k][MR]); each task owns NC output columns and, per K block,
// converts its weight panel to f32 once ([k][NR] per NR columns, zero padded), then runs the
// MR×NR micro-kernel over all row panels. The micro-kernel and the packers are what differ per path.
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

#include "ops/kernels.h"
#include "threadpool.h"

namespace plexus {

struct GemmKernels {
  int MR, NR;
  // C[mr × nr] (row stride ldc) = (first ? bias-or-0 : C) + A_panel · B_panel over kc
  void (*micro)(int64_t kc, const float* A, const float* B, float* C, int64_t ldc, int mr, int nr, bool first, const float* bias);
  // Bp[(q * kc + kk) * NR + j] = w[n0 + q*NR + j][k0 + kk] for the nc columns (zero beyond nc)
  void (*pack_b)(const void* w, WeightType wt, int64_t K, int64_t n0, int64_t nc, int64_t k0, int64_t kc, float* Bp);
};

void gemm_blocked(const MatmulParams& p, const GemmKernels& kern);

}  // namespace plexus
