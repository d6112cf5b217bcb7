#include "ops/gemm_driver.h"

#include <cstring>

#include "common/aligned_buffer.h"

namespace plexus {

namespace {
constexpr int64_t kKC = 256;  // K block: an MR×KC row panel stays in L1, an NC×KC weight panel in L2
constexpr int64_t kNC = 64;   // output columns per task

thread_local AlignedBuffer t_apack;  // per calling thread (JS thread or async driver), reused
thread_local AlignedBuffer t_bpack;  // per pool thread
}  // namespace

void gemm_blocked(const MatmulParams& p, const GemmKernels& kern) {
  const int64_t M = p.M, N = p.N, K = p.K;
  const int MR = kern.MR, NR = kern.NR;
  if (M == 0 || N == 0) return;
  if (K == 0) {  // nothing to accumulate: out = bias or 0
    for (int64_t m = 0; m < M; m++)
      for (int64_t n = 0; n < N; n++) p.out[m * N + n] = p.bias ? p.bias[n] : 0.f;
    return;
  }
  const int64_t panels = (M + MR - 1) / MR;
  float* Ap = t_apack.get(size_t(panels * MR * K));
  // Ap[panel][k][i] = x[panel*MR + i][k], rows past M are zero
  parallel_for(panels, 1, [&](int64_t b, int64_t e) {
    for (int64_t pnl = b; pnl < e; pnl++) {
      float* dst = Ap + pnl * MR * K;
      for (int i = 0; i < MR; i++) {
        const int64_t m = pnl * MR + i;
        if (m < M) {
          const float* src = p.x + m * K;
          for (int64_t k = 0; k < K; k++) dst[k * MR + i] = src[k];
        } else {
          for (int64_t k = 0; k < K; k++) dst[k * MR + i] = 0.f;
        }
      }
    }
  });

  const int64_t nc_max = ((kNC + NR - 1) / NR) * NR;
  const int64_t chunks = (N + nc_max - 1) / nc_max;
  parallel_tasks(chunks, [&](int64_t chunk) {
    const int64_t n0 = chunk * nc_max;
    const int64_t nc = std::min(nc_max, N - n0);
    const int64_t qn = (nc + NR - 1) / NR;
    float* Bp = t_bpack.get(size_t(qn * NR * kKC));
    for (int64_t k0 = 0; k0 < K; k0 += kKC) {
      const int64_t kc = std::min(kKC, K - k0);
      kern.pack_b(p.w, p.wt, K, n0, nc, k0, kc, Bp);
      for (int64_t pnl = 0; pnl < panels; pnl++) {
        const int mr = int(std::min<int64_t>(MR, M - pnl * MR));
        const float* A = Ap + pnl * MR * K + k0 * MR;
        for (int64_t q = 0; q < qn; q++) {
          const int64_t n = n0 + q * NR;
          const int nr = int(std::min<int64_t>(NR, N - n));
          kern.micro(kc, A, Bp + q * kc * NR, p.out + pnl * MR * N + n, N, mr, nr, k0 == 0, p.bias ? p.bias + n : nullptr);
        }
      }
    }
  });
}

}  // namespace plexus
