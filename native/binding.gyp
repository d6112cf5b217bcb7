{
  "targets": [
    {
      "target_name": "plexus_native",
      "sources": [
        "csrc/addon.cc",
        "csrc/threadpool.cc",
        "csrc/capabilities.cc",
        "csrc/mmap.cc",
        "csrc/ops/matmul.cc",
        "csrc/ops/matmul_gemv_avx2.cc",
        "csrc/ops/matmul_dot_avx2.cc",
        "csrc/ops/matmul_outer_avx2.cc",
        "csrc/ops/gemm_driver.cc",
        "csrc/ops/rmsnorm.cc",
        "csrc/ops/rope.cc",
        "csrc/ops/softmax.cc",
        "csrc/ops/swiglu.cc",
        "csrc/ops/gelu.cc",
        "csrc/ops/embedding.cc",
        "csrc/ops/argmax.cc",
        "csrc/ops/topk.cc",
        "csrc/ops/store_kv.cc",
        "csrc/ops/attention.cc",
        "csrc/ops/roofline.cc",
        "csrc/bindings/args.cc",
        "csrc/bindings/parse.cc",
        "csrc/bindings/system_bindings.cc",
        "csrc/bindings/op_bindings.cc",
        "csrc/bindings/async_bindings.cc",
        "csrc/ops/fp8_gemm.cc",
        "csrc/ops/mxfp4_gemm.cc",
        "csrc/ops/mxfp4_gemv_avx2.cc",
        "csrc/bindings/quant_bindings.cc",
        "csrc/ops/dsv4_sparse_attention.cc",
        "csrc/ops/dsv4_indexer_scores.cc",
        "csrc/ops/dsv4_compress_windows.cc",
        "csrc/bindings/dsv4_bindings.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "csrc"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_CPP_EXCEPTIONS", "NODE_ADDON_API_CPP_EXCEPTIONS_ALL"],
      "cflags!": ["-O2", "-fno-exceptions"],
      "cflags_cc!": ["-O2", "-fno-exceptions"],
      "cflags": ["-O3", "-pthread"],
      "cflags_cc": ["-O3", "-std=c++17", "-fexceptions", "-pthread"],
      "ldflags": ["-pthread"]
    }
  ]
}
