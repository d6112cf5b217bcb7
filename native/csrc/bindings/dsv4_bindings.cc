// Bindings of the DeepSeek-V4 kernels. Arrays may be longer than their declared shapes (as the plugin's
// TypeScript rows allow); every length, key range, key index and overlap is checked here and a RangeError /
// TypeError names the op and the argument, so the kernels never see unchecked input.
#include "bindings/dsv4_bindings.h"

#include <cmath>
#include <string>

#include "bindings/args.h"
#include "bindings/parse.h"
#include "bindings/variants.h"
#include "ops/dsv4_kernels.h"

namespace plexus::bind {

namespace {
std::string s(int64_t v) { return std::to_string(v); }

const Dsv4OpTable kPortable = {portable::dsv4_sparse_attention, portable::dsv4_indexer_scores, portable::dsv4_compress_windows};
const Dsv4OpTable kAvx2 = {avx2::dsv4_sparse_attention, avx2::dsv4_indexer_scores, avx2::dsv4_compress_windows};

template <bool Avx2>
const Dsv4OpTable& table(const Args& a) { return variant_table<Avx2>(a, kAvx2, kPortable); }

template <class T>
void require_len(const Args& a, const View<T>& v, int64_t need, const char* name, const std::string& shape) {
  a.require(int64_t(v.length) >= need, std::string(name) + " has " + s(v.length) + " elements, shorter than its declared shape " + shape + " = " + s(need));
}

template <class T>
void require_disjoint(const Args& a, const View<float>& out, const View<T>& in, const char* name) {
  a.require(!overlaps(out.data, out.length * 4, in.data, in.length * sizeof(T)), std::string("out must not overlap ") + name);
}

// dsv4SparseAttention(q, out, numQueries, numHeads, headDim, keys, keyIndex, keyStart, sinks, scale)
template <bool Avx2>
Napi::Value SparseAttention(const Napi::CallbackInfo& info) {
  Args a(info, Avx2 ? "dsv4SparseAttention_avx2" : "dsv4SparseAttention_portable");
  const Dsv4OpTable& t = table<Avx2>(a);
  auto q = a.f32(0, "q");
  auto out = a.f32(1, "out");
  const int64_t nQ = a.integer(2, "numQueries", 0, kMaxDim);
  const int64_t H = a.integer(3, "numHeads", 0, kMaxDim);
  const int64_t D = a.integer(4, "headDim", 1, kMaxDim);
  auto keys = a.f32(5, "keys");
  auto keyIndex = a.i32(6, "keyIndex");
  auto keyStart = a.i32(7, "keyStart");
  auto sinks = a.f32(8, "sinks");
  const double scale = a.number(9, "scale");
  a.require(std::isfinite(scale), "scale must be finite");
  const int64_t rows = mul(a, nQ, mul(a, H, D));
  require_len(a, q, rows, "q", "numQueries*numHeads*headDim");
  require_len(a, out, rows, "out", "numQueries*numHeads*headDim");
  require_len(a, keyStart, nQ + 1, "keyStart", "numQueries+1");
  require_len(a, sinks, H, "sinks", "numHeads");
  const int64_t numKeys = int64_t(keys.length) / D;
  for (int64_t i = 0; i < nQ; i++) {
    const int64_t k0 = keyStart.data[i], k1 = keyStart.data[i + 1];
    a.require(k0 >= 0 && k0 <= k1 && k1 <= int64_t(keyIndex.length),
              "bad key range [" + s(k0) + ", " + s(k1) + ") for query " + s(i) + " (keyIndex has " + s(keyIndex.length) + " entries)");
    for (int64_t j = k0; j < k1; j++) {
      const int64_t row = keyIndex.data[j];
      a.require(row >= 0 && row < numKeys, "key " + s(row) + " of query " + s(i) + " is outside [0, " + s(numKeys) + ")");
    }
  }
  require_disjoint(a, out, q, "q");
  require_disjoint(a, out, keys, "keys");
  require_disjoint(a, out, sinks, "sinks");
  require_disjoint(a, out, keyIndex, "keyIndex");
  require_disjoint(a, out, keyStart, "keyStart");
  t.sparse_attention(Dsv4SparseAttentionParams{q.data, out.data, nQ, H, D, keys.data, keyIndex.data, keyStart.data, sinks.data, float(scale)});
  return info.Env().Undefined();
}

// dsv4IndexerScores(q, weights, keys, visible, out, numQueries, numHeads, headDim, numKeys)
template <bool Avx2>
Napi::Value IndexerScores(const Napi::CallbackInfo& info) {
  Args a(info, Avx2 ? "dsv4IndexerScores_avx2" : "dsv4IndexerScores_portable");
  const Dsv4OpTable& t = table<Avx2>(a);
  auto q = a.f32(0, "q");
  auto weights = a.f32(1, "weights");
  auto keys = a.f32(2, "keys");
  auto visible = a.i32(3, "visible");
  auto out = a.f32(4, "out");
  const int64_t nQ = a.integer(5, "numQueries", 0, kMaxDim);
  const int64_t H = a.integer(6, "numHeads", 0, kMaxDim);
  const int64_t D = a.integer(7, "headDim", 0, kMaxDim);
  const int64_t T = a.integer(8, "numKeys", 0, kMaxDim);
  require_len(a, q, mul(a, nQ, mul(a, H, D)), "q", "numQueries*numHeads*headDim");
  require_len(a, weights, mul(a, nQ, H), "weights", "numQueries*numHeads");
  require_len(a, keys, mul(a, T, D), "keys", "numKeys*headDim");
  require_len(a, out, mul(a, nQ, T), "out", "numQueries*numKeys");
  require_len(a, visible, nQ, "visible", "numQueries");
  require_disjoint(a, out, q, "q");
  require_disjoint(a, out, weights, "weights");
  require_disjoint(a, out, keys, "keys");
  require_disjoint(a, out, visible, "visible");
  t.indexer_scores(Dsv4IndexerScoresParams{q.data, weights.data, keys.data, visible.data, out.data, nQ, H, D, T});
  return info.Env().Undefined();
}

// dsv4CompressWindows(out, kv, score, numWindows, numCandidates, dim)
template <bool Avx2>
Napi::Value CompressWindows(const Napi::CallbackInfo& info) {
  Args a(info, Avx2 ? "dsv4CompressWindows_avx2" : "dsv4CompressWindows_portable");
  const Dsv4OpTable& t = table<Avx2>(a);
  auto out = a.f32(0, "out");
  auto kv = a.f32(1, "kv");
  auto score = a.f32(2, "score");
  const int64_t W = a.integer(3, "numWindows", 0, kMaxDim);
  const int64_t C = a.integer(4, "numCandidates", 0, kMaxDim);
  const int64_t D = a.integer(5, "dim", 0, kMaxDim);
  const int64_t cand = mul(a, W, mul(a, C, D));
  require_len(a, out, mul(a, W, D), "out", "numWindows*dim");
  require_len(a, kv, cand, "kv", "numWindows*numCandidates*dim");
  require_len(a, score, cand, "score", "numWindows*numCandidates*dim");
  require_disjoint(a, out, kv, "kv");
  require_disjoint(a, out, score, "score");
  t.compress_windows(Dsv4CompressWindowsParams{out.data, kv.data, score.data, W, C, D});
  return info.Env().Undefined();
}

template <bool Avx2>
void register_variant(Napi::Env env, Napi::Object exports) {
  const VariantExports<Avx2> add{env, exports};
  add("dsv4SparseAttention", SparseAttention<Avx2>);
  add("dsv4IndexerScores", IndexerScores<Avx2>);
  add("dsv4CompressWindows", CompressWindows<Avx2>);
}
}  // namespace

void register_dsv4(Napi::Env env, Napi::Object exports) {
  register_variant<true>(env, exports);
  register_variant<false>(env, exports);
}

}  // namespace plexus::bind
