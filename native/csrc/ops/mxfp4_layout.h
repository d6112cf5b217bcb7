// The internal MXFP4 layout: how mxfp4_pack arranges the codes of a row so that the AVX2 GEMV reads them
// with whole-register loads and no shuffles between 32-blocks.
//
// A row of K elements is K/32 blocks of 32 (one E8M0 scale each, scales [rows, K/32] in block order). The
// codes [rows, K/2] group the blocks of a row into superblocks of 8 (the last one may hold fewer, `n`):
// superblock s starts at byte 128·s and holds 16·n bytes, read as four slices t = 0..3 of 4·n bytes. In
// slice t, the 4 bytes at 4·j (block j of the superblock) carry elements 8t..8t+3 of block j in their low
// nibbles and elements 8t+4..8t+7 in their high nibbles:
//
//   element e of block j  ->  byte 128·s + t·4n + 4j + u,  t = e / 8, u = e % 4, high nibble iff e % 8 >= 4
//
// So one 32-byte load of slice t gives every one of the 8 blocks 8 codes in its own 32-bit lane: integer
// dot products reduce per lane, and one vector op per superblock applies the 8 block scales.
#pragma once
#include <algorithm>
#include <cstdint>

namespace plexus::mxfp4 {

constexpr int kSuperBlocks = 8;       // blocks per superblock
constexpr int kSuperBytes = 128;      // code bytes of a full superblock
constexpr int kSlices = 4;            // slices per superblock (one 32-byte load each when full)

// blocks in superblock s of a row of nb blocks
inline int blocks_in_super(int64_t nb, int64_t s) { return int(std::min<int64_t>(kSuperBlocks, nb - s * kSuperBlocks)); }

// Byte offset (within the row's codes) and nibble (0 low, 1 high) of element k of a row of K elements.
inline int64_t code_byte(int64_t K, int64_t k, int& nibble) {
  const int64_t b = k >> 5, s = b / kSuperBlocks;
  const int j = int(b % kSuperBlocks), e = int(k & 31);
  const int n = blocks_in_super(K / 32, s);
  nibble = (e >> 2) & 1;
  return s * kSuperBytes + (e >> 3) * 4 * n + 4 * j + (e & 3);
}

// E2M1 code (unscaled, 0..15) of element k of a row.
inline int code_at(const uint8_t* row_codes, int64_t K, int64_t k) {
  int nibble;
  const uint8_t byte = row_codes[code_byte(K, k, nibble)];
  return nibble ? byte >> 4 : byte & 15;
}

// out[k] = table[code of element k] for a whole row of K elements.
inline void decode_row(const uint8_t* row_codes, int64_t K, const float* table, float* out) {
  const int64_t nb = K / 32;
  for (int64_t b = 0; b < nb; b++) {
    const int64_t s = b / kSuperBlocks;
    const int j = int(b % kSuperBlocks), n = blocks_in_super(nb, s);
    const uint8_t* c = row_codes + s * kSuperBytes + 4 * j;
    float* o = out + b * 32;
    for (int t = 0; t < kSlices; t++)
      for (int u = 0; u < 4; u++) {
        const uint8_t byte = c[t * 4 * n + u];
        o[8 * t + u] = table[byte & 15];
        o[8 * t + 4 + u] = table[byte >> 4];
      }
  }
}

}  // namespace plexus::mxfp4
