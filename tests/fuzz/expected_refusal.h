// A saved input may say that the code under test must refuse it: its first line is then
// "#refuse <hash>\n", the hash being the FNV-1a 64 of the bytes after that line in 16
// lowercase hex digits (tests/fuzz/mark_refused.py writes it). The hash ties the
// expectation to those exact bytes, so that libFuzzer's mutations of a saved input, which
// may well be accepted, are fuzzed as plain inputs and not taken for findings.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace ember::fuzz {

struct Input {
  const uint8_t* data;
  size_t size;
  bool must_be_refused;
};

inline uint64_t fnv1a(const uint8_t* data, size_t size) {
  uint64_t hash = 0xcbf29ce484222325;
  for (size_t i = 0; i < size; ++i) hash = (hash ^ data[i]) * 0x100000001b3;
  return hash;
}

inline Input with_expectation(const uint8_t* data, size_t size) {
  constexpr std::string_view kMarker = "#refuse ";
  constexpr size_t kLineLength = 8 + 16 + 1;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (size < kLineLength || !text.starts_with(kMarker) || text[kLineLength - 1] != '\n') {
    return {data, size, false};
  }
  char hash[17];
  std::snprintf(hash, sizeof hash, "%016llx",
                static_cast<unsigned long long>(fnv1a(data + kLineLength, size - kLineLength)));
  if (text.substr(kMarker.size(), 16) != hash) return {data, size, false};
  return {data + kLineLength, size - kLineLength, true};
}

[[noreturn]] inline void accepted_what_must_be_refused(const char* target) {
  std::fprintf(stderr, "%s: accepted an input marked #refuse\n", target);
  std::abort();
}

}  // namespace ember::fuzz
