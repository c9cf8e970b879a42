// Philox-4x32-10 (Salmon, Moraes, Dror, Shaw, "Parallel random numbers: as easy as 1, 2, 3",
// SC 2011), bit for bit as Random123 and PyTorch's CUDA generator.
//
// A counter-based generator: the output is a pure function of (counter, key), so element i
// of a tensor can be computed by whichever thread or shader invocation owns it. Only 32-bit
// integer operations and one 32x32->64 multiply are used, so a GLSL shader mirrors this file
// line by line (umulExtended gives the high and low words).
#pragma once

#include <array>
#include <cstdint>

namespace ember::philox {

using Block = std::array<uint32_t, 4>;  // a counter in, four random words out
using Key = std::array<uint32_t, 2>;

inline constexpr uint32_t kMultiplier0 = 0xD2511F53u;
inline constexpr uint32_t kMultiplier1 = 0xCD9E8D57u;
inline constexpr uint32_t kWeyl0 = 0x9E3779B9u;  // golden ratio
inline constexpr uint32_t kWeyl1 = 0xBB67AE85u;  // sqrt(3) - 1
inline constexpr int kRounds = 10;

constexpr Block round(const Block& c, const Key& k) {
  uint64_t product0 = static_cast<uint64_t>(kMultiplier0) * c[0];
  uint64_t product1 = static_cast<uint64_t>(kMultiplier1) * c[2];
  auto hi = [](uint64_t p) { return static_cast<uint32_t>(p >> 32); };
  auto lo = [](uint64_t p) { return static_cast<uint32_t>(p); };
  return {hi(product1) ^ c[1] ^ k[0], lo(product1), hi(product0) ^ c[3] ^ k[1], lo(product0)};
}

constexpr Block philox4x32_10(Block counter, Key key) {
  counter = round(counter, key);
  for (int r = 1; r < kRounds; ++r) {
    key[0] += kWeyl0;
    key[1] += kWeyl1;
    counter = round(counter, key);
  }
  return counter;
}

// Ember's layout: the 64-bit seed is the key, the 64-bit counter index fills the low
// two counter words (the high two stay 0, free for a future stream id).
constexpr Key key_of(uint64_t seed) {
  return {static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32)};
}
constexpr Block block_at(const Key& key, uint64_t counter) {
  return philox4x32_10({static_cast<uint32_t>(counter), static_cast<uint32_t>(counter >> 32), 0, 0},
                       key);
}

// ---- conversions: the top 24 (or 53) bits scaled, so every value is exact ----

// Uniform in [0, 1).
constexpr float to_float(uint32_t x) { return static_cast<float>(x >> 8) * 0x1p-24f; }
// Uniform in (0, 1]: safe to take the logarithm of.
constexpr float to_float_nonzero(uint32_t x) {
  return static_cast<float>((x >> 8) + 1u) * 0x1p-24f;
}
constexpr uint64_t to_uint64(uint32_t lo, uint32_t hi) {
  return (static_cast<uint64_t>(hi) << 32) | lo;
}
// Uniform in [0, 1) from two words.
constexpr double to_double(uint32_t lo, uint32_t hi) {
  return static_cast<double>(to_uint64(lo, hi) >> 11) * 0x1p-53;
}
// Uniform in (0, 1] from two words.
constexpr double to_double_nonzero(uint32_t lo, uint32_t hi) {
  return static_cast<double>((to_uint64(lo, hi) >> 11) + 1u) * 0x1p-53;
}

}  // namespace ember::philox
