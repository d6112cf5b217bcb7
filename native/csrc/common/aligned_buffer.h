// A growable 64-byte aligned float scratch buffer (thread_local scratch for packing and tiles).
#pragma once
#include <cstddef>
#include <cstdlib>
#include <new>

namespace plexus {

class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;
  ~AlignedBuffer() { std::free(data_); }

  // Returns at least n floats (contents unspecified).
  float* get(size_t n) {
    if (n > cap_) {
      std::free(data_);
      const size_t bytes = ((n * sizeof(float) + 63) / 64) * 64;
      data_ = static_cast<float*>(std::aligned_alloc(64, bytes));
      if (!data_) { cap_ = 0; throw std::bad_alloc(); }
      cap_ = n;
    }
    return data_;
  }

 private:
  float* data_ = nullptr;
  size_t cap_ = 0;
};

}  // namespace plexus
