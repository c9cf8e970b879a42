// Error messages quote what a file or the user gave only in part, so that no hostile input
// can fill a terminal or a log through a message.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace ember {

inline constexpr size_t kMaxQuotedChars = 100;

// text, or its first kMaxQuotedChars characters followed by "...".
inline std::string excerpt(std::string_view text) {
  if (text.size() <= kMaxQuotedChars) return std::string(text);
  return std::string(text.substr(0, kMaxQuotedChars)) + "...";
}

}  // namespace ember
