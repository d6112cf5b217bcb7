// Each bindings/*.cc file adds its functions to the addon's exports.
#pragma once
#include <napi.h>

namespace plexus::bind {
void register_system(Napi::Env env, Napi::Object exports);
void register_ops(Napi::Env env, Napi::Object exports);
void register_async(Napi::Env env, Napi::Object exports);
}  // namespace plexus::bind
