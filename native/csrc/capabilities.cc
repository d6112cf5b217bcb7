#include "capabilities.h"

#include "threadpool.h"

namespace plexus {

static Capabilities detect() {
  Capabilities c;
  c.cores = available_cores();
#if defined(__x86_64__) || defined(__i386__)
  c.arch = sizeof(void*) == 8 ? "x64" : "ia32";
  __builtin_cpu_init();
  // libgcc's checks include OS support (XGETBV) for the AVX register state.
  c.avx2 = __builtin_cpu_supports("avx2");
  c.fma = __builtin_cpu_supports("fma");
  c.f16c = __builtin_cpu_supports("f16c");
  c.avx512f = __builtin_cpu_supports("avx512f");
#if __GNUC__ >= 11 || defined(__clang__)
  c.avx512bf16 = __builtin_cpu_supports("avx512bf16");
#endif
  c.avx512vnni = __builtin_cpu_supports("avx512vnni");
#elif defined(__aarch64__)
  c.arch = "arm64";
  c.neon = true;  // Advanced SIMD is mandatory on AArch64
#elif defined(__arm__)
  c.arch = "arm";
#else
  c.arch = "unknown";
#endif
  return c;
}

const Capabilities& capabilities() {
  static const Capabilities caps = detect();
  return caps;
}

bool has_avx2_path() {
  const Capabilities& c = capabilities();
  return c.avx2 && c.fma && c.f16c;
}

}  // namespace plexus
