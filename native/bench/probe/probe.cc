// Node-free kernel probe for tuning on machines without Node: links the kernel sources directly.
// Build (from native/): g++ -O3 -std=c++17 -pthread -Icsrc bench/probe/probe.cc csrc/threadpool.cc
//   csrc/capabilities.cc csrc/ops/{matmul,matmul_gemv_avx2,matmul_dot_avx2,matmul_outer_avx2,gemm_driver,roofline,attention}.cc -o probe
// Run: ./probe [threads] [gemv | decode | attn]
//   decode: the matmuls of 8 Qwen2.5-0.5B layers (240 MB of bf16, far beyond L3) in model order, as one
//   decode step runs them, at batch 1..16: achieved GB/s and GFLOP/s next to the limits.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "ops/kernels.h"
#include "threadpool.h"

using namespace plexus;

template <class F>
double median_ms(F&& f, int reps) {
  f();
  std::vector<double> ts;
  for (int i = 0; i < reps; i++) {
    auto t0 = std::chrono::steady_clock::now();
    f();
    ts.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(ts.begin(), ts.end());
  return ts[ts.size() / 2];
}

// Paged attention over a contiguous block table: decode (1 query) or causal prefill (q = kv).
static void attention_probe(int nSeqs, int qLen, int kvLen) {
  const int64_t nHeads = 32, nKvHeads = 8, D = 128, bs = 16;
  const int64_t blocksPer = (kvLen + bs - 1) / bs, numBlocks = blocksPer * nSeqs;
  std::vector<float> kc(numBlocks * bs * nKvHeads * D, 0.01f), vc(kc.size(), 0.02f);
  const int64_t nTokens = int64_t(nSeqs) * qLen;
  std::vector<float> q(nTokens * nHeads * D, 0.1f), out(q.size());
  std::vector<int32_t> qs(nSeqs), ql(nSeqs, qLen), kl(nSeqs, kvLen), bt(numBlocks), bts(nSeqs);
  for (int s = 0; s < nSeqs; s++) { qs[s] = s * qLen; bts[s] = int32_t(s * blocksPer); }
  for (int64_t i = 0; i < numBlocks; i++) bt[i] = int32_t(i);
  AttentionParams p{q.data(), out.data(), kc.data(), vc.data(), bs, nKvHeads, D, D, nHeads, nTokens, nSeqs, 0.088f,
                    qs.data(), ql.data(), kl.data(), bt.data(), bts.data(), true, 0, nullptr, nullptr, nullptr, nullptr};
  const double flops = 4.0 * nHeads * D * nSeqs * (qLen == 1 ? double(kvLen) : double(qLen) * (qLen + 1) / 2);
  for (int v = 0; v < 2; v++) {
    double ms = median_ms([&] { v == 0 ? avx2::attention(p) : portable::attention(p); }, 5);
    printf("attention %s seqs=%d q=%d kv=%d: %.2f ms %.1f GFLOP/s\n", v == 0 ? "avx2    " : "portable", nSeqs, qLen, kvLen, ms, flops / (ms * 1e6));
  }
}

// One decode step's matmuls over 8 layers of Qwen2.5-0.5B shapes (q, k, v, o, gate, up, down).
static void decode_probe(double stream, double peak) {
  const int64_t shapes[7][2] = {{896, 896}, {128, 896}, {128, 896}, {896, 896}, {4864, 896}, {4864, 896}, {896, 4864}};
  std::vector<std::vector<uint16_t>> layers;
  double params = 0;
  for (int l = 0; l < 8; l++)
    for (auto& sh : shapes) {
      layers.emplace_back(size_t(sh[0] * sh[1]));
      for (size_t i = 0; i < layers.back().size(); i++) layers.back()[i] = uint16_t(0x3c00 + ((i * 40503 + l) & 0x3ff));
      params += double(sh[0]) * double(sh[1]);
    }
  for (int M : {1, 2, 4, 8, 16}) {
    std::vector<float> x(M * 4864, 0.01f), out(M * 4864);
    const double ms = median_ms([&] {
      for (size_t i = 0; i < layers.size(); i++) {
        const int64_t* sh = shapes[i % 7];
        avx2::matmul(MatmulParams{out.data(), x.data(), layers[i].data(), WeightType::BF16, M, sh[0], sh[1], nullptr});
      }
    }, 15);
    const double gbs = params * 2 / (ms * 1e6), gf = 2.0 * M * params / (ms * 1e6);
    printf("decode M=%2d %6.2f ms %5.1f GB/s (%3.0f%% of stream) %6.1f GFLOP/s (%3.0f%% of FMA peak)\n", M, ms, gbs, 100 * gbs / stream, gf, 100 * gf / peak);
  }
}

int main(int argc, char** argv) {
  const int threads = argc > 1 ? atoi(argv[1]) : 2;
  ThreadPool::instance().resize(threads);
  if (argc > 2 && std::strcmp(argv[2], "attn") == 0) {
    attention_probe(1, 1, 4096);
    attention_probe(8, 1, 1024);
    attention_probe(1, 512, 512);
    return 0;
  }
  if (argc > 2 && std::strcmp(argv[2], "attn-small") == 0) {  // for callgrind
    attention_probe(1, 128, 128);
    return 0;
  }
  const int64_t sn = 128ll << 20;
  std::vector<float> s(sn, 1.f);
  double sms = median_ms([&] { stream_read_sum(s.data(), sn); }, 10);
  double stream = sn * 4.0 / (sms * 1e6);
  double flops = 0;
  double fms = median_ms([&] { flops = fma_peak_run(20000000); }, 5);
  double peak = flops / (fms * 1e6);
  printf("threads %d stream %.1f GB/s fma %.1f GFLOP/s\n", threads, stream, peak);
  if (argc > 2 && std::strcmp(argv[2], "decode") == 0) { decode_probe(stream, peak); return 0; }
  const int64_t N = 14336, K = 4096;
  std::vector<uint16_t> w16(N * K);
  for (int64_t i = 0; i < N * K; i++) w16[i] = uint16_t(0x3c00 + (i * 40503 & 0x3ff));
  std::vector<float> w32(N * K, 0.01f);
  for (int M : {1, 2, 4, 8, 16}) {
    std::vector<float> x(M * K, 0.01f), out(M * N);
    for (int t = 0; t < 3; t++) {
      WeightType wt = t == 0 ? WeightType::BF16 : t == 1 ? WeightType::F16 : WeightType::F32;
      const void* w = t == 2 ? (const void*)w32.data() : (const void*)w16.data();
      MatmulParams p{out.data(), x.data(), w, wt, M, N, K, nullptr};
      double ms = median_ms([&] { avx2::matmul(p); }, 10);
      double bytes = double(N) * K * weight_bytes(wt);
      printf("gemv M=%2d %s %7.2f ms %6.1f GB/s  %3.0f%% of stream  %5.1f GFLOP/s\n", M, t == 0 ? "bf16" : t == 1 ? "f16 " : "f32 ", ms,
             bytes / (ms * 1e6), 100 * bytes / (ms * 1e6) / stream, 2.0 * M * N * K / (ms * 1e6));
    }
  }
  if (argc > 2 && std::strcmp(argv[2], "gemv") == 0) return 0;
  for (int M : {64, 512}) {
    const int64_t GN = 4096;
    std::vector<float> x(M * K, 0.01f), out(M * GN);
    for (int t = 0; t < 2; t++) {
      WeightType wt = t == 0 ? WeightType::BF16 : WeightType::F32;
      const void* w = t == 1 ? (const void*)w32.data() : (const void*)w16.data();
      MatmulParams p{out.data(), x.data(), w, wt, M, GN, K, nullptr};
      double ms = median_ms([&] { avx2::matmul(p); }, 5);
      double gf = 2.0 * M * GN * K / (ms * 1e6);
      printf("gemm M=%3d %s %7.2f ms %6.1f GFLOP/s %3.0f%% of peak\n", M, t == 0 ? "bf16" : "f32 ", ms, gf, 100 * gf / peak);
    }
    MatmulParams p{out.data(), x.data(), w16.data(), WeightType::BF16, M, GN, K, nullptr};
    double ms = median_ms([&] { portable::matmul(p); }, 3);
    printf("gemm M=%3d bf16 portable %7.2f ms %6.1f GFLOP/s\n", M, ms, 2.0 * M * GN * K / (ms * 1e6));
  }
  return 0;
}
