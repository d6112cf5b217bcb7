// Read-only file mappings handed to JavaScript as external ArrayBuffers (no copy, not on the V8 heap).
// Each mapping has a state object: close() can unmap early, the GC finalizer does not unmap twice (or
// unmap a later mapping that reused the address), and an async kernel can pin a mapping so a close()
// during the call defers the munmap instead of pulling memory from under the kernel.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace plexus {

struct MappingState;

struct Mapping {
  void* base = nullptr;
  size_t length = 0;
};

// Throws std::runtime_error with errno text on failure. Empty files give {nullptr, 0}.
Mapping map_file_readonly(const std::string& path);

MappingState* register_mapping(Mapping m);
// close(): unmaps now unless pinned (then when the last pin goes). False if base is not a live mapping.
bool release_mapping(void* base);
// The ArrayBuffer finalizer: unmaps if still mapped; frees the state once nothing refers to it.
void finalize_mapping(MappingState* state);
// Pins the live mapping that contains [p, p + n), if any (nullptr otherwise).
MappingState* pin_mapping_containing(const void* p, size_t n);
void unpin_mapping(MappingState* state);

}  // namespace plexus
