{
  "targets": [
    {
      "target_name": "plexus_native",
      "sources": ["csrc/addon.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags!": ["-O2", "-fno-exceptions"],
      "cflags_cc!": ["-O2", "-fno-exceptions"],
      "cflags": ["-O3"],
      "cflags_cc": ["-O3", "-std=c++17"]
    }
  ]
}
