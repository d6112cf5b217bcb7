// Synchronous op bindings, registered once per implementation: <op>_avx2 and <op>_portable.
#include <napi.h>

#include <cmath>
#include <string>

#include "bindings/args.h"
#include "bindings/parse.h"
#include "bindings/variants.h"
#include "bindings/register.h"
#include "ops/kernels.h"

namespace plexus::bind {

namespace {
std::string s(int64_t v) { return std::to_string(v); }

const OpTable kPortable = {portable::matmul, portable::rmsnorm, portable::rope, portable::softmax, portable::swiglu,
                           portable::gelu, portable::embedding, portable::argmax, portable::topk, portable::store_kv,
                           portable::attention};
const OpTable kAvx2 = {avx2::matmul, avx2::rmsnorm, avx2::rope, avx2::softmax, avx2::swiglu,
                       avx2::gelu, avx2::embedding, avx2::argmax, avx2::topk, avx2::store_kv,
                       avx2::attention};

template <bool Avx2>
const OpTable& table(const Args& a) { return variant_table<Avx2>(a, kAvx2, kPortable); }

void require_same_or_disjoint(const Args& a, const View<float>& out, const View<float>& in, const char* in_name) {
  a.require(out.data == in.data || !overlaps(out.data, out.length * 4, in.data, in.length * 4),
            std::string("out must be the same array as ") + in_name + " (in place) or not overlap it");
}

template <bool Avx2>
Napi::Value Matmul(const Napi::CallbackInfo& info) {
  Args a(info, Avx2 ? "matmul_avx2" : "matmul_portable");
  const OpTable& t = table<Avx2>(a);
  t.matmul(parse_matmul(a, info, nullptr));
  return info.Env().Undefined();
}

// rmsnorm(out, x, wBuffer | null, wByteOffset, wDtype, rows, dim, eps)
template <bool Avx2>
Napi::Value Rmsnorm(const Napi::CallbackInfo& info) {
  Args a(info, Avx2 ? "rmsnorm_avx2" : "rmsnorm_portable");
  const OpTable& t = table<Avx2>(a);
  auto out = a.f32(0, "out");
  auto x = a.f32(1, "x");
  const int64_t rows = a.integer(5, "rows", 0, kMaxDim);
  const int64_t dim = a.integer(6, "dim", 0, kMaxDim);
  const double eps = a.number(7, "eps");
  a.require(std::isfinite(eps) && eps >= 0, "eps must be a finite number >= 0");
  a.require(int64_t(x.length) == mul(a, rows, dim), "x has " + s(x.length) + " elements, expected rows*dim = " + s(rows) + "*" + s(dim));
  a.require(out.length == x.length, "out has " + s(out.length) + " elements, expected " + s(x.length));
  require_same_or_disjoint(a, out, x, "x");
  RmsnormParams p{out.data, x.data, nullptr, WeightType::F32, rows, dim, float(eps)};
  if (a.present(2)) {
    auto w = a.weight(2, 3, 4, "weight", dim);
    p.w = w.data;
    p.wt = w.type;
  }
  t.rmsnorm(p);
  return info.Env().Undefined();
}

// rope(x, positions, nHeads, headDim, rotaryDim, rotaryOffset, invFreq, mscale, interleaved, inverse)
template <bool Avx2>
Napi::Value Rope(const Napi::CallbackInfo& info) {
  Args a(info, Avx2 ? "rope_avx2" : "rope_portable");
  const OpTable& t = table<Avx2>(a);
  auto x = a.f32(0, "x");
  auto pos = a.i32(1, "positions");
  const int64_t nHeads = a.integer(2, "nHeads", 0, kMaxDim);
  const int64_t headDim = a.integer(3, "headDim", 0, kMaxDim);
  const int64_t rotaryDim = a.integer(4, "rotaryDim", 0, kMaxDim);
  const int64_t rotaryOffset = a.integer(5, "rotaryOffset", 0, kMaxDim);
  auto invFreq = a.f32(6, "invFreq");
  const double mscale = a.number(7, "mscale");
  const bool interleaved = a.boolean(8, "interleaved", false);
  const bool inverse = a.boolean(9, "inverse", false);
  a.require(rotaryDim % 2 == 0, "rotaryDim must be even, got " + s(rotaryDim));
  a.require(rotaryOffset + rotaryDim <= headDim,
            "rotaryOffset + rotaryDim (" + s(rotaryOffset) + " + " + s(rotaryDim) + ") exceeds headDim " + s(headDim));
  a.require(int64_t(invFreq.length) == rotaryDim / 2, "invFreq has " + s(invFreq.length) + " elements, expected rotaryDim/2 = " + s(rotaryDim / 2));
  a.require(int64_t(x.length) == mul(a, int64_t(pos.length), mul(a, nHeads, headDim)),
            "x has " + s(x.length) + " elements, expected positions.length*nHeads*headDim = " + s(pos.length) + "*" + s(nHeads) + "*" + s(headDim));
  a.require(std::isfinite(mscale), "mscale must be finite");
  t.rope(RopeParams{x.data, pos.data, int64_t(pos.length), nHeads, headDim, rotaryDim, rotaryOffset, invFreq.data, float(mscale), interleaved, inverse});
  return info.Env().Undefined();
}

// softmax(x, rows, cols), in place
template <bool Avx2>
Napi::Value Softmax(const Napi::CallbackInfo& info) {
  Args a(info, Avx2 ? "softmax_avx2" : "softmax_portable");
  const OpTable& t = table<Avx2>(a);
  auto x = a.f32(0, "x");
  const int64_t rows = a.integer(1, "rows", 0, kMaxDim);
  const int64_t cols = a.integer(2, "cols", 0, kMaxDim);
  a.require(int64_t(x.length) == mul(a, rows, cols), "x has " + s(x.length) + " elements, expected rows*cols = " + s(rows) + "*" + s(cols));
  t.softmax(SoftmaxParams{x.data, rows, cols});
  return info.Env().Undefined();
}

// swiglu(out, gate, up, limit?)
template <bool Avx2>
Napi::Value Swiglu(const Napi::CallbackInfo& info) {
  Args a(info, Avx2 ? "swiglu_avx2" : "swiglu_portable");
  const OpTable& t = table<Avx2>(a);
  auto out = a.f32(0, "out");
  auto gate = a.f32(1, "gate");
  auto up = a.f32(2, "up");
  a.require(gate.length == out.length && up.length == out.length,
            "out, gate and up must have the same length (got " + s(out.length) + ", " + s(gate.length) + ", " + s(up.length) + ")");
  require_same_or_disjoint(a, out, gate, "gate");
  require_same_or_disjoint(a, out, up, "up");
  SwigluParams p{out.data, gate.data, up.data, int64_t(out.length), false, 0.f};
  if (a.present(3)) {
    const double limit = a.number(3, "limit");
    a.require(limit > 0 && !std::isnan(limit), "limit must be > 0");
    p.has_limit = true;
    p.limit = float(limit);
  }
  t.swiglu(p);
  return info.Env().Undefined();
}

// gelu(out, x, tanhApproximation)
template <bool Avx2>
Napi::Value Gelu(const Napi::CallbackInfo& info) {
  Args a(info, Avx2 ? "gelu_avx2" : "gelu_portable");
  const OpTable& t = table<Avx2>(a);
  auto out = a.f32(0, "out");
  auto x = a.f32(1, "x");
  a.require(out.length == x.length, "out has " + s(out.length) + " elements, x has " + s(x.length));
  require_same_or_disjoint(a, out, x, "x");
  t.gelu(GeluParams{out.data, x.data, int64_t(x.length), a.boolean(2, "tanh", false)});
  return info.Env().Undefined();
}

// embedding(out, tableBuffer, tableByteOffset, tableDtype, vocab, dim, ids)
template <bool Avx2>
Napi::Value Embedding(const Napi::CallbackInfo& info) {
  Args a(info, Avx2 ? "embedding_avx2" : "embedding_portable");
  const OpTable& t = table<Avx2>(a);
  auto out = a.f32(0, "out");
  const int64_t vocab = a.integer(4, "vocab (table.shape[0])", 0, kMaxDim);
  const int64_t dim = a.integer(5, "dim (table.shape[1])", 0, kMaxDim);
  auto tab = a.weight(1, 2, 3, "table", mul(a, vocab, dim));
  auto ids = a.i32(6, "ids");
  a.require(int64_t(out.length) == mul(a, int64_t(ids.length), dim),
            "out has " + s(out.length) + " elements, expected ids.length*dim = " + s(ids.length) + "*" + s(dim));
  for (size_t i = 0; i < ids.length; i++)
    a.require(ids.data[i] >= 0 && ids.data[i] < vocab, "ids[" + s(i) + "] = " + s(ids.data[i]) + " is outside the vocabulary [0, " + s(vocab) + ")");
  a.require(!overlaps(out.data, out.length * 4, tab.data, tab.bytes), "out must not overlap the table");
  t.embedding(EmbeddingParams{out.data, tab.data, tab.type, dim, ids.data, int64_t(ids.length)});
  return info.Env().Undefined();
}

// argmax(x, rows, cols) -> Int32Array(rows)
template <bool Avx2>
Napi::Value Argmax(const Napi::CallbackInfo& info) {
  Args a(info, Avx2 ? "argmax_avx2" : "argmax_portable");
  const OpTable& t = table<Avx2>(a);
  auto x = a.f32(0, "x");
  const int64_t rows = a.integer(1, "rows", 0, kMaxDim);
  const int64_t cols = a.integer(2, "cols", rows > 0 ? 1 : 0, kMaxDim);
  a.require(int64_t(x.length) == mul(a, rows, cols), "x has " + s(x.length) + " elements, expected rows*cols = " + s(rows) + "*" + s(cols));
  auto out = Napi::Int32Array::New(info.Env(), size_t(rows));
  t.argmax(ArgmaxParams{x.data, rows, cols, out.Data()});
  return out;
}

// topk(x, rows, cols, k) -> { indices: Int32Array(rows*k), values: Float32Array(rows*k) }
template <bool Avx2>
Napi::Value Topk(const Napi::CallbackInfo& info) {
  Args a(info, Avx2 ? "topk_avx2" : "topk_portable");
  const OpTable& t = table<Avx2>(a);
  auto x = a.f32(0, "x");
  const int64_t rows = a.integer(1, "rows", 0, kMaxDim);
  const int64_t cols = a.integer(2, "cols", 0, kMaxDim);
  const int64_t k = a.integer(3, "k", 0, cols);
  a.require(int64_t(x.length) == mul(a, rows, cols), "x has " + s(x.length) + " elements, expected rows*cols = " + s(rows) + "*" + s(cols));
  auto idx = Napi::Int32Array::New(info.Env(), size_t(rows * k));
  auto val = Napi::Float32Array::New(info.Env(), size_t(rows * k));
  t.topk(TopkParams{x.data, rows, cols, k, idx.Data(), val.Data()});
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("indices", idx);
  o.Set("values", val);
  return o;
}

// storeKv(kCache, vCache, blockSize, nKvHeads, headDim, headDimV, k, v, slotMapping)
template <bool Avx2>
Napi::Value StoreKv(const Napi::CallbackInfo& info) {
  Args a(info, Avx2 ? "storeKv_avx2" : "storeKv_portable");
  const OpTable& t = table<Avx2>(a);
  auto kc = a.f32(0, "kCache");
  auto vc = a.f32(1, "vCache");
  const int64_t blockSize = a.integer(2, "blockSize", 1, kMaxDim);
  const int64_t nKvHeads = a.integer(3, "nKvHeads", 1, kMaxDim);
  const int64_t headDim = a.integer(4, "headDim", 1, kMaxDim);
  const int64_t headDimV = a.integer(5, "headDimV", 1, kMaxDim);
  auto k = a.f32(6, "k");
  auto v = a.f32(7, "v");
  auto slots = a.i32(8, "slotMapping");
  const int64_t kSlot = mul(a, nKvHeads, headDim), vSlot = mul(a, nKvHeads, headDimV);
  const int64_t kBlock = mul(a, blockSize, kSlot);
  a.require(int64_t(kc.length) % kBlock == 0, "kCache has " + s(kc.length) + " elements, not a multiple of blockSize*nKvHeads*headDim = " + s(kBlock));
  const int64_t nSlots = int64_t(kc.length) / kSlot;
  a.require(int64_t(vc.length) == mul(a, nSlots, vSlot), "vCache has " + s(vc.length) + " elements, expected " + s(nSlots) + " slots of nKvHeads*headDimV");
  const int64_t nTokens = int64_t(slots.length);
  a.require(int64_t(k.length) == mul(a, nTokens, kSlot), "k has " + s(k.length) + " elements, expected slotMapping.length*nKvHeads*headDim = " + s(nTokens * kSlot));
  a.require(int64_t(v.length) == mul(a, nTokens, vSlot), "v has " + s(v.length) + " elements, expected slotMapping.length*nKvHeads*headDimV = " + s(nTokens * vSlot));
  for (int64_t i = 0; i < nTokens; i++)
    a.require(slots.data[i] >= -1 && slots.data[i] < nSlots, "slotMapping[" + s(i) + "] = " + s(slots.data[i]) + " is outside [0, " + s(nSlots) + ") (-1 = skip)");
  a.require(!overlaps(kc.data, kc.length * 4, k.data, k.length * 4) && !overlaps(vc.data, vc.length * 4, v.data, v.length * 4) &&
                !overlaps(kc.data, kc.length * 4, vc.data, vc.length * 4) && !overlaps(kc.data, kc.length * 4, v.data, v.length * 4) &&
                !overlaps(vc.data, vc.length * 4, k.data, k.length * 4),
            "the caches must not overlap each other or k / v");
  t.store_kv(StoreKvParams{kc.data, vc.data, nKvHeads, headDim, headDimV, k.data, v.data, slots.data, nTokens});
  return info.Env().Undefined();
}

template <bool Avx2>
Napi::Value Attention(const Napi::CallbackInfo& info) {
  Args a(info, Avx2 ? "attention_avx2" : "attention_portable");
  const OpTable& t = table<Avx2>(a);
  t.attention(parse_attention(a, info, nullptr));
  return info.Env().Undefined();
}

template <bool Avx2>
void register_variant(Napi::Env env, Napi::Object exports) {
  const VariantExports<Avx2> add{env, exports};
  add("matmul", Matmul<Avx2>);
  add("rmsnorm", Rmsnorm<Avx2>);
  add("rope", Rope<Avx2>);
  add("softmax", Softmax<Avx2>);
  add("swiglu", Swiglu<Avx2>);
  add("gelu", Gelu<Avx2>);
  add("embedding", Embedding<Avx2>);
  add("argmax", Argmax<Avx2>);
  add("topk", Topk<Avx2>);
  add("storeKv", StoreKv<Avx2>);
  add("attention", Attention<Avx2>);
}
}  // namespace

const OpTable& op_table(bool avx2) { return avx2 ? kAvx2 : kPortable; }

void register_ops(Napi::Env env, Napi::Object exports) {
  register_variant<true>(env, exports);
  register_variant<false>(env, exports);
}

}  // namespace plexus::bind
