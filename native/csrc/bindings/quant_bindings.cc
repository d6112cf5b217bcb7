// Bindings of the quantized-weight kernels. Every length, dtype, index and overlap is checked here and a
// TypeError / RangeError names the op and the argument; the kernels never see unchecked input.
#include "bindings/quant_bindings.h"

#include <cmath>
#include <string>

#include "bindings/args.h"
#include "bindings/parse.h"
#include "bindings/variants.h"
#include "ops/quant_kernels.h"

namespace plexus::bind {

namespace {
std::string s(int64_t v) { return std::to_string(v); }

const QuantOpTable kPortable = {portable::fp8_matmul, portable::mxfp4_matmul, portable::mxfp4_moe};
const QuantOpTable kAvx2 = {avx2::fp8_matmul, avx2::mxfp4_matmul, avx2::mxfp4_moe};

template <bool Avx2>
const QuantOpTable& table(const Args& a) { return variant_table<Avx2>(a, kAvx2, kPortable); }

// bytes of a Uint8Array / Int8Array (quantized weights are passed as byte views over their tensors)
View<const uint8_t> bytes_of(const Args& a, const Napi::Value& v, const char* name) {
  if (!v.IsTypedArray()) a.type_error(std::string(name) + " must be a Uint8Array");
  auto ta = v.As<Napi::TypedArray>();
  if (ta.TypedArrayType() != napi_uint8_array && ta.TypedArrayType() != napi_int8_array) a.type_error(std::string(name) + " must be a Uint8Array");
  View<const uint8_t> out;
  out.length = ta.ElementLength();
  if (out.length > 0) out.data = static_cast<const uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
  return out;
}

template <class T>
size_t nbytes(const View<T>& v) { return v.length * sizeof(T); }

void require_disjoint(const Args& a, const View<float>& out, const void* p, size_t n, const char* name) {
  a.require(!overlaps(out.data, out.length * 4, p, n), std::string("out must not overlap ") + name);
}

// fp8Matmul(out, x, M, w, N, K, scale, scaleDtype, scaleRows, scaleCols, blockN, blockK, bias?)
template <bool Avx2>
Napi::Value Fp8Matmul(const Napi::CallbackInfo& info) {
  Args a(info, Avx2 ? "fp8Matmul_avx2" : "fp8Matmul_portable");
  const QuantOpTable& t = table<Avx2>(a);
  auto out = a.f32(0, "out");
  auto x = a.f32(1, "x");
  const int64_t M = a.integer(2, "M", 0, kMaxDim);
  auto w = bytes_of(a, info[3], "w");
  const int64_t N = a.integer(4, "N (w.shape[0])", 0, kMaxDim);
  const int64_t K = a.integer(5, "K (w.shape[1])", 0, kMaxDim);
  auto sc = bytes_of(a, info[6], "scale");
  const std::string dt = a.string(7, "scale.dtype");
  const int64_t sRows = a.integer(8, "scale.shape[0]", 0, kMaxDim);
  const int64_t sCols = a.integer(9, "scale.shape[1]", 0, kMaxDim);
  const int64_t bn = a.integer(10, "blockN", 1, kMaxDim);
  const int64_t bk = a.integer(11, "blockK", 1, kMaxDim);
  ScaleType st;
  int64_t sbytes;
  if (dt == "F8_E8M0") { st = ScaleType::E8M0; sbytes = 1; }
  else if (dt == "F32") { st = ScaleType::F32; sbytes = 4; }
  else if (dt == "BF16") { st = ScaleType::BF16; sbytes = 2; }
  else a.type_error("scale has dtype " + dt + "; block scales must be F8_E8M0, F32 or BF16");
  a.require(int64_t(w.length) == mul(a, N, K), "w has " + s(w.length) + " bytes, expected N*K = " + s(N) + "*" + s(K) + " (F8_E4M3)");
  a.require(sRows == (N + bn - 1) / bn && sCols == (K + bk - 1) / bk,
            "scale has shape [" + s(sRows) + ", " + s(sCols) + "], expected [ceil(N/blockN), ceil(K/blockK)] = [" + s((N + bn - 1) / bn) + ", " + s((K + bk - 1) / bk) + "]");
  a.require(int64_t(sc.length) == mul(a, mul(a, sRows, sCols), sbytes), "scale has " + s(sc.length) + " bytes, expected " + s(sRows * sCols * sbytes));
  const Fp8MatmulParams p{out.data, x.data, M, N, K, w.data, sc.data, st, sCols, bn, bk, parse_matmul_io(a, info, out, x, M, N, K, 12, nullptr)};
  require_disjoint(a, out, w.data, w.length, "the weights");
  require_disjoint(a, out, sc.data, sc.length, "the scales");
  t.fp8_matmul(p);
  return info.Env().Undefined();
}

Mxfp4Matrix matrix_of(const Args& a, const View<const uint8_t>& codes, const View<const uint8_t>& scales, int64_t rows, int64_t cols, const std::string& name) {
  a.require(cols % 32 == 0, name + ": MXFP4 rows must hold a multiple of 32 elements, got " + s(cols));
  a.require(int64_t(codes.length) == mul(a, rows, cols / 2), name + " codes have " + s(codes.length) + " bytes, expected rows*cols/2 = " + s(rows) + "*" + s(cols / 2));
  a.require(int64_t(scales.length) == mul(a, rows, cols / 32), name + " scales have " + s(scales.length) + " bytes, expected rows*cols/32 = " + s(rows) + "*" + s(cols / 32));
  return Mxfp4Matrix{codes.data, scales.data, rows, cols};
}

// mxfp4Matmul(out, x, M, codes, scales, N, K, bias?)
template <bool Avx2>
Napi::Value Mxfp4Matmul(const Napi::CallbackInfo& info) {
  Args a(info, Avx2 ? "mxfp4Matmul_avx2" : "mxfp4Matmul_portable");
  const QuantOpTable& t = table<Avx2>(a);
  auto out = a.f32(0, "out");
  auto x = a.f32(1, "x");
  const int64_t M = a.integer(2, "M", 0, kMaxDim);
  auto codes = bytes_of(a, info[3], "w.codes");
  auto scales = bytes_of(a, info[4], "w.scales");
  const int64_t N = a.integer(5, "w.rows", 0, kMaxDim);
  const int64_t K = a.integer(6, "w.cols", 0, kMaxDim);
  const Mxfp4Matrix w = matrix_of(a, codes, scales, N, K, "w");
  const Mxfp4MatmulParams p{out.data, x.data, M, w, parse_matmul_io(a, info, out, x, M, N, K, 7, nullptr)};
  require_disjoint(a, out, codes.data, codes.length, "the codes");
  require_disjoint(a, out, scales.data, scales.length, "the scales");
  t.mxfp4_matmul(p);
  return info.Env().Undefined();
}

// mxfp4Moe({ out, x, numTokens, hidden, intermediate, numExperts, gateUpCodes, gateUpScales, downCodes, downScales,
//            gateUpBias?, downBias?, experts, expertStart, slotToken, slotWeight, limit?, alpha, upOffset })
template <bool Avx2>
Napi::Value Mxfp4Moe(const Napi::CallbackInfo& info) {
  Args a(info, Avx2 ? "mxfp4Moe_avx2" : "mxfp4Moe_portable");
  const QuantOpTable& t = table<Avx2>(a);
  if (info.Length() < 1 || !info[0].IsObject() || info[0].IsTypedArray()) a.type_error("expects one options object");
  Napi::Object o = info[0].As<Napi::Object>();
  auto opt = [&](const char* key) { Napi::Value v = o.Get(key); return v.IsUndefined() || v.IsNull() ? Napi::Value() : v; };
  auto out = f32_of(a, o.Get("out"), "out");
  auto x = f32_of(a, o.Get("x"), "x");
  const int64_t T = integer_of(a, o.Get("numTokens"), "numTokens", 0, kMaxDim);
  const int64_t H = integer_of(a, o.Get("hidden"), "hidden", 32, kMaxDim);
  const int64_t I = integer_of(a, o.Get("intermediate"), "intermediate", 32, kMaxDim);
  const int64_t E = integer_of(a, o.Get("numExperts"), "numExperts", 1, kMaxDim);
  const Mxfp4Matrix gu = matrix_of(a, bytes_of(a, o.Get("gateUpCodes"), "gateUp.codes"), bytes_of(a, o.Get("gateUpScales"), "gateUp.scales"),
                                   mul(a, E, 2 * I), H, "gateUp");
  const Mxfp4Matrix dn = matrix_of(a, bytes_of(a, o.Get("downCodes"), "down.codes"), bytes_of(a, o.Get("downScales"), "down.scales"), mul(a, E, H), I, "down");
  auto experts = i32_of(a, o.Get("experts"), "experts");
  auto start = i32_of(a, o.Get("expertStart"), "expertStart");
  auto slotToken = i32_of(a, o.Get("slotToken"), "slotToken");
  auto slotWeight = f32_of(a, o.Get("slotWeight"), "slotWeight");
  a.require(int64_t(x.length) == mul(a, T, H), "x has " + s(x.length) + " elements, expected numTokens*hidden = " + s(T) + "*" + s(H));
  a.require(out.length == x.length, "out has " + s(out.length) + " elements, expected numTokens*hidden = " + s(T * H));
  const int64_t A = int64_t(experts.length), S = int64_t(slotToken.length);
  a.require(int64_t(start.length) == A + 1, "expertStart has " + s(start.length) + " entries, expected experts.length + 1 = " + s(A + 1));
  a.require(int64_t(slotWeight.length) == S, "slotWeight has " + s(slotWeight.length) + " entries, expected slotToken.length = " + s(S));
  for (int64_t i = 0; i < A; i++) {
    a.require(experts.data[i] >= 0 && experts.data[i] < E, "experts[" + s(i) + "] = " + s(experts.data[i]) + " is outside [0, " + s(E) + ")");
    a.require(i == 0 || experts.data[i] > experts.data[i - 1], "experts must be strictly ascending (experts[" + s(i) + "] = " + s(experts.data[i]) + ")");
  }
  a.require(start.data[0] == 0, "expertStart[0] must be 0");
  for (int64_t i = 0; i < A; i++) a.require(start.data[i + 1] >= start.data[i], "expertStart must be non-decreasing (at " + s(i + 1) + ")");
  a.require(start.data[A] == S, "expertStart[experts.length] = " + s(start.data[A]) + " must equal the number of slots " + s(S));
  for (int64_t i = 0; i < S; i++)
    a.require(slotToken.data[i] >= 0 && slotToken.data[i] < T, "slotToken[" + s(i) + "] = " + s(slotToken.data[i]) + " is outside [0, " + s(T) + ")");
  Mxfp4MoeParams p{};
  p.out = out.data; p.x = x.data; p.T = T; p.H = H; p.I = I; p.E = E; p.gateUp = gu; p.down = dn;
  p.nActive = A; p.experts = experts.data; p.expertStart = start.data; p.slotToken = slotToken.data; p.slotWeight = slotWeight.data; p.S = S;
  Napi::Value gub = opt("gateUpBias"), dnb = opt("downBias");
  if (!gub.IsEmpty()) {
    auto b = f32_of(a, gub, "gateUpBias");
    a.require(int64_t(b.length) == E * 2 * I, "gateUpBias has " + s(b.length) + " elements, expected numExperts*2*intermediate = " + s(E * 2 * I));
    require_disjoint(a, out, b.data, nbytes(b), "gateUpBias");
    p.gateUpBias = b.data;
  }
  if (!dnb.IsEmpty()) {
    auto b = f32_of(a, dnb, "downBias");
    a.require(int64_t(b.length) == E * H, "downBias has " + s(b.length) + " elements, expected numExperts*hidden = " + s(E * H));
    require_disjoint(a, out, b.data, nbytes(b), "downBias");
    p.downBias = b.data;
  }
  Napi::Value lim = opt("limit");
  if (!lim.IsEmpty()) {
    const double l = number_of(a, lim, "limit");
    a.require(std::isfinite(l) && l > 0, "limit must be a finite number > 0");
    p.has_limit = true;
    p.limit = float(l);
  }
  const double alpha = number_of(a, o.Get("alpha"), "alpha"), off = number_of(a, o.Get("upOffset"), "upOffset");
  a.require(std::isfinite(alpha) && std::isfinite(off), "alpha and upOffset must be finite");
  p.alpha = float(alpha);
  p.upOffset = float(off);
  require_disjoint(a, out, x.data, nbytes(x), "x");
  require_disjoint(a, out, slotWeight.data, nbytes(slotWeight), "slotWeight");
  require_disjoint(a, out, gu.codes, size_t(gu.rows * gu.cols / 2), "the gate/up codes");
  require_disjoint(a, out, dn.codes, size_t(dn.rows * dn.cols / 2), "the down codes");
  require_disjoint(a, out, gu.scales, size_t(gu.rows * gu.cols / 32), "the gate/up scales");
  require_disjoint(a, out, dn.scales, size_t(dn.rows * dn.cols / 32), "the down scales");
  t.mxfp4_moe(p);
  return info.Env().Undefined();
}

// mxfp4Pack(dstCodes, dstScales, dstRows, cols, srcCodes, srcScales, rows, interleaved, dstRowStart, dstRowStride) -> first NaN scale or -1
Napi::Value Mxfp4Pack(const Napi::CallbackInfo& info) {
  Args a(info, "mxfp4Pack");
  auto dc = bytes_of(a, info[0], "dst.codes");
  auto ds = bytes_of(a, info[1], "dst.scales");
  const int64_t dRows = a.integer(2, "dst.rows", 0, kMaxDim);
  const int64_t cols = a.integer(3, "dst.cols", 0, kMaxDim);
  auto sc = bytes_of(a, info[4], "srcCodes");
  auto ss = bytes_of(a, info[5], "srcScales");
  const int64_t rows = a.integer(6, "rows", 0, kMaxDim);
  const bool interleaved = a.boolean(7, "interleaved", true);
  const int64_t start = a.integer(8, "dstRowStart", 0, kMaxDim);
  const int64_t stride = a.integer(9, "dstRowStride", 1, kMaxDim);
  matrix_of(a, dc, ds, dRows, cols, "dst");
  a.require(int64_t(sc.length) == mul(a, rows, cols / 2), "srcCodes has " + s(sc.length) + " bytes, expected rows*cols/2 = " + s(rows) + "*" + s(cols / 2));
  a.require(int64_t(ss.length) == mul(a, rows, cols / 32), "srcScales has " + s(ss.length) + " bytes, expected rows*cols/32 = " + s(rows) + "*" + s(cols / 32));
  a.require(rows == 0 || start + (rows - 1) * stride < dRows,
            "destination rows dstRowStart + (rows-1)*dstRowStride = " + s(start + (rows - 1) * stride) + " exceed dst.rows " + s(dRows));
  a.require(!overlaps(dc.data, dc.length, sc.data, sc.length) && !overlaps(ds.data, ds.length, ss.data, ss.length) &&
                !overlaps(dc.data, dc.length, ds.data, ds.length),
            "the destination planes must not overlap each other or the source");
  const int64_t nan = mxfp4_pack(const_cast<uint8_t*>(dc.data), const_cast<uint8_t*>(ds.data), cols, sc.data, ss.data, rows, interleaved, start, stride);
  return Napi::Number::New(info.Env(), double(nan));
}

// fp8FirstNaN(bytes) -> index of the first E4M3 NaN byte or -1
Napi::Value Fp8FirstNaN(const Napi::CallbackInfo& info) {
  Args a(info, "fp8FirstNaN");
  auto b = bytes_of(a, info[0], "bytes");
  return Napi::Number::New(info.Env(), double(fp8_first_nan(b.data, int64_t(b.length))));
}

template <bool Avx2>
void register_variant(Napi::Env env, Napi::Object exports) {
  const VariantExports<Avx2> add{env, exports};
  add("fp8Matmul", Fp8Matmul<Avx2>);
  add("mxfp4Matmul", Mxfp4Matmul<Avx2>);
  add("mxfp4Moe", Mxfp4Moe<Avx2>);
}
}  // namespace

void register_quant(Napi::Env env, Napi::Object exports) {
  register_variant<true>(env, exports);
  register_variant<false>(env, exports);
  exports.Set("mxfp4Pack", Napi::Function::New(env, Mxfp4Pack, "mxfp4Pack"));
  exports.Set("fp8FirstNaN", Napi::Function::New(env, Fp8FirstNaN, "fp8FirstNaN"));
}

}  // namespace plexus::bind
