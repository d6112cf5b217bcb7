// CPU features detected at run time (what the optimized kernels need), plus the usable core count.
#pragma once
#include <string>

namespace plexus {

struct Capabilities {
  std::string arch;
  bool avx2 = false, fma = false, f16c = false;
  bool avx512f = false, avx512bf16 = false, avx512vnni = false;
  bool neon = false;
  int cores = 1;
};

const Capabilities& capabilities();

// True when the avx2/fma/f16c kernels may run on this CPU.
bool has_avx2_path();

}  // namespace plexus
