#include "bindings/parse.h"

#include <cmath>
#include <string>

namespace plexus::bind {

namespace {
constexpr int64_t kMaxDim = int64_t(1) << 31;
constexpr int64_t kMaxI32 = 2147483647;

std::string s(int64_t v) { return std::to_string(v); }
}  // namespace

bool overlaps(const void* a, size_t an, const void* b, size_t bn) {
  if (an == 0 || bn == 0) return false;
  const auto pa = reinterpret_cast<uintptr_t>(a), pb = reinterpret_cast<uintptr_t>(b);
  return pa < pb + bn && pb < pa + an;
}

const float* parse_matmul_io(const Args& a, const Napi::CallbackInfo& info, const View<float>& out, const View<float>& x, int64_t M, int64_t N,
                             int64_t K, size_t bias_index, KeepList* keep) {
  a.require(int64_t(x.length) == mul(a, M, K), "x has " + s(x.length) + " elements, expected M*K = " + s(M) + "*" + s(K));
  a.require(int64_t(out.length) == mul(a, M, N), "out has " + s(out.length) + " elements, expected M*N = " + s(M) + "*" + s(N));
  const float* bias_data = nullptr;
  if (a.present(bias_index)) {
    auto bias = a.f32(bias_index, "bias");
    a.require(int64_t(bias.length) == N, "bias has " + s(bias.length) + " elements, expected N = " + s(N));
    bias_data = bias.data;
    if (keep) keep->push_back(info[bias_index]);
    a.require(!overlaps(out.data, out.length * 4, bias.data, bias.length * 4), "out must not overlap bias");
  }
  a.require(!overlaps(out.data, out.length * 4, x.data, x.length * 4), "out must not overlap x");
  return bias_data;
}

MatmulParams parse_matmul(const Args& a, const Napi::CallbackInfo& info, KeepList* keep) {
  auto out = a.f32(0, "out");
  auto x = a.f32(1, "x");
  const int64_t M = a.integer(5, "M", 0, kMaxDim);
  const int64_t N = a.integer(6, "N (w.shape[0])", 0, kMaxDim);
  const int64_t K = a.integer(7, "K (w.shape[1])", 0, kMaxDim);
  auto w = a.weight(2, 3, 4, "w", mul(a, N, K));
  MatmulParams p{out.data, x.data, w.data, w.type, M, N, K, parse_matmul_io(a, info, out, x, M, N, K, 8, keep)};
  a.require(!overlaps(out.data, out.length * 4, w.data, w.bytes), "out must not overlap the weights");
  if (keep) { keep->push_back(info[0]); keep->push_back(info[1]); keep->push_back(info[2]); }
  return p;
}

AttentionParams parse_attention(const Args& a, const Napi::CallbackInfo& info, KeepList* keep) {
  if (info.Length() < 1 || !info[0].IsObject() || info[0].IsTypedArray()) a.type_error("expects one options object");
  Napi::Object o = info[0].As<Napi::Object>();
  auto get = [&](const char* key) {
    Napi::Value v = o.Get(key);
    if (keep && (v.IsTypedArray())) keep->push_back(v);
    return v;
  };
  auto opt = [&](const char* key) { Napi::Value v = get(key); return v.IsUndefined() || v.IsNull() ? Napi::Value() : v; };

  AttentionParams p{};
  const int64_t blockSize = integer_of(a, get("blockSize"), "blockSize", 1, kMaxDim);
  const int64_t nKvHeads = integer_of(a, get("nKvHeads"), "nKvHeads", 1, kMaxDim);
  const int64_t headDim = integer_of(a, get("headDim"), "headDim", 1, kMaxDim);
  const int64_t headDimV = integer_of(a, get("headDimV"), "headDimV", 1, kMaxDim);
  const int64_t nHeads = integer_of(a, get("nHeads"), "nHeads", 1, kMaxDim);
  a.require(nHeads % nKvHeads == 0, "nHeads (" + s(nHeads) + ") must be a multiple of nKvHeads (" + s(nKvHeads) + ")");
  const double scale = number_of(a, get("scale"), "scale");
  a.require(std::isfinite(scale), "scale must be finite");

  auto q = f32_of(a, get("q"), "q");
  auto out = f32_of(a, get("out"), "out");
  auto kc = f32_of(a, get("kCache"), "kCache");
  auto vc = f32_of(a, get("vCache"), "vCache");
  const int64_t qRow = mul(a, nHeads, headDim);
  a.require(int64_t(q.length) % qRow == 0, "q has " + s(q.length) + " elements, not a multiple of nHeads*headDim = " + s(qRow));
  const int64_t nTokens = int64_t(q.length) / qRow;
  a.require(int64_t(out.length) == mul(a, nTokens, mul(a, nHeads, headDimV)),
            "out has " + s(out.length) + " elements, expected nTokens*nHeads*headDimV = " + s(nTokens) + "*" + s(nHeads) + "*" + s(headDimV));
  const int64_t kSlot = mul(a, nKvHeads, headDim), vSlot = mul(a, nKvHeads, headDimV);
  const int64_t kBlock = mul(a, blockSize, kSlot);
  a.require(int64_t(kc.length) % kBlock == 0, "kCache has " + s(kc.length) + " elements, not a multiple of blockSize*nKvHeads*headDim = " + s(kBlock));
  const int64_t numBlocks = int64_t(kc.length) / kBlock;
  a.require(int64_t(vc.length) == mul(a, numBlocks, mul(a, blockSize, vSlot)),
            "vCache has " + s(vc.length) + " elements, expected numBlocks*blockSize*nKvHeads*headDimV for the " + s(numBlocks) + " blocks of kCache");
  a.require(!overlaps(out.data, out.length * 4, q.data, q.length * 4), "out must not overlap q");
  a.require(!overlaps(out.data, out.length * 4, kc.data, kc.length * 4) && !overlaps(out.data, out.length * 4, vc.data, vc.length * 4),
            "out must not overlap the KV cache");

  auto qStart = i32_of(a, get("seqQStart"), "seqQStart");
  auto qLen = i32_of(a, get("seqQLen"), "seqQLen");
  auto kvLen = i32_of(a, get("seqKvLen"), "seqKvLen");
  auto bt = i32_of(a, get("blockTables"), "blockTables");
  auto btStart = i32_of(a, get("blockTableStart"), "blockTableStart");
  const int64_t nSeqs = int64_t(qStart.length);
  a.require(int64_t(qLen.length) == nSeqs && int64_t(kvLen.length) == nSeqs && int64_t(btStart.length) == nSeqs,
            "seqQStart, seqQLen, seqKvLen and blockTableStart must have one entry per sequence (got " + s(qStart.length) + ", " +
                s(qLen.length) + ", " + s(kvLen.length) + ", " + s(btStart.length) + ")");
  for (int64_t i = 0; i < nSeqs; i++) {
    const int64_t st = qStart.data[i], ql = qLen.data[i], kl = kvLen.data[i], bs = btStart.data[i];
    const std::string seq = "sequence " + s(i) + ": ";
    a.require(st >= 0 && ql >= 0 && st + ql <= nTokens, seq + "query rows [" + s(st) + ", " + s(st + ql) + ") are outside q's " + s(nTokens) + " rows");
    a.require(kl >= ql, seq + "seqKvLen (" + s(kl) + ") must be >= seqQLen (" + s(ql) + "): the new tokens are in the cache");
    const int64_t nb = (kl + blockSize - 1) / blockSize;
    a.require(bs >= 0 && bs + nb <= int64_t(bt.length),
              seq + s(kl) + " keys need " + s(nb) + " block-table entries from " + s(bs) + ", blockTables has " + s(bt.length));
    for (int64_t b = 0; b < nb; b++) {
      const int64_t id = bt.data[bs + b];
      a.require(id >= 0 && id < numBlocks, seq + "block id " + s(id) + " is outside the cache's " + s(numBlocks) + " blocks");
    }
  }

  Napi::Value causal = opt("causal");
  if (!causal.IsEmpty() && !causal.IsBoolean()) a.type_error("causal must be a boolean");
  p.causal = causal.IsEmpty() ? true : causal.As<Napi::Boolean>().Value();
  Napi::Value win = opt("slidingWindow");
  p.slidingWindow = win.IsEmpty() ? 0 : integer_of(a, win, "slidingWindow", 0, kMaxI32);
  Napi::Value sinks = opt("sinks");
  if (!sinks.IsEmpty()) {
    auto sv = f32_of(a, sinks, "sinks");
    a.require(int64_t(sv.length) == nHeads, "sinks has " + s(sv.length) + " elements, expected nHeads = " + s(nHeads));
    p.sinks = sv.data;
  }
  Napi::Value ki = opt("keyIndices");
  if (!ki.IsEmpty()) {
    auto idx = i32_of(a, ki, "keyIndices");
    Napi::Value ksv = opt("keyIndexStart"), kcv = opt("keyIndexCount");
    if (ksv.IsEmpty() || kcv.IsEmpty()) a.type_error("keyIndices needs keyIndexStart and keyIndexCount (one entry per query row)");
    auto ks = i32_of(a, ksv, "keyIndexStart");
    auto kn = i32_of(a, kcv, "keyIndexCount");
    a.require(int64_t(ks.length) == nTokens && int64_t(kn.length) == nTokens,
              "keyIndexStart and keyIndexCount need one entry per query row (" + s(nTokens) + "), got " + s(ks.length) + " and " + s(kn.length));
    for (int64_t i = 0; i < nSeqs; i++) {
      for (int64_t r = qStart.data[i]; r < int64_t(qStart.data[i]) + qLen.data[i]; r++) {
        const int64_t st = ks.data[r], n = kn.data[r];
        a.require(st >= 0 && n >= 0 && st + n <= int64_t(idx.length),
                  "query row " + s(r) + ": keyIndices range [" + s(st) + ", " + s(st + n) + ") is outside keyIndices' " + s(idx.length) + " entries");
        for (int64_t j = st; j < st + n; j++) {
          const int64_t key = idx.data[j];
          a.require(key >= -1 && key < kvLen.data[i],
                    "query row " + s(r) + ": key index " + s(key) + " is outside [0, " + s(kvLen.data[i]) + ") (-1 = padding)");
        }
      }
    }
    p.keyIndices = idx.data;
    p.keyIndexStart = ks.data;
    p.keyIndexCount = kn.data;
  }

  p.q = q.data;
  p.out = out.data;
  p.kCache = kc.data;
  p.vCache = vc.data;
  p.blockSize = blockSize;
  p.nKvHeads = nKvHeads;
  p.headDim = headDim;
  p.headDimV = headDimV;
  p.nHeads = nHeads;
  p.nTokens = nTokens;
  p.nSeqs = nSeqs;
  p.scale = float(scale);
  p.seqQStart = qStart.data;
  p.seqQLen = qLen.data;
  p.seqKvLen = kvLen.data;
  p.blockTables = bt.data;
  p.blockTableStart = btStart.data;
  return p;
}

}  // namespace plexus::bind
