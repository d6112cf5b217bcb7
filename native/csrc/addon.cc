// Addon entry point: registers the system functions and every op twice (<op>_avx2 and <op>_portable).
#include <napi.h>

#include "bindings/dsv4_bindings.h"
#include "bindings/quant_bindings.h"
#include "bindings/register.h"

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  plexus::bind::register_system(env, exports);
  plexus::bind::register_ops(env, exports);
  plexus::bind::register_async(env, exports);
  plexus::bind::register_quant(env, exports);
  plexus::bind::register_dsv4(env, exports);
  return exports;
}

NODE_API_MODULE(plexus_native, Init)
