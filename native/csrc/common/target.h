// Per-function target attribute for the optimized x86 path. Never compile whole files with -mavx2:
// the portable path and the N-API glue must stay free of VEX instructions.
#pragma once
#if defined(__x86_64__) || defined(__i386__)
#define PLEXUS_HAS_X86 1
#define PLEXUS_AVX2 __attribute__((target("avx2,fma,f16c")))
#include <immintrin.h>
#else
#define PLEXUS_HAS_X86 0
#define PLEXUS_AVX2
#endif
