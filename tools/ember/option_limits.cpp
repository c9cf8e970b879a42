#include "option_limits.h"

#include <charconv>
#include <cmath>
#include <system_error>

#include "core/excerpt.h"

namespace ember::cli {

namespace {

// The whole of text as a number of type T, or the reason it is not one.
template <typename T>
std::errc parse_whole(std::string_view text, T& value) {
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error == std::errc() && end != text.data() + text.size()) return std::errc::invalid_argument;
  return error;
}

}  // namespace

std::string parse_integer(std::string_view text, const IntegerLimit& limit, int64_t& value) {
  int64_t parsed = 0;
  std::errc error = parse_whole(text, parsed);
  if (error == std::errc::invalid_argument) {
    return excerpt(text) + " is not an integer (" + limit.text + ")";
  }
  if (error != std::errc() || parsed < limit.min || parsed > limit.max) {
    return excerpt(text) + " is out of range: " + limit.text;
  }
  value = parsed;
  return {};
}

std::string parse_unsigned(std::string_view text, uint64_t& value) {
  uint64_t parsed = 0;
  std::errc error = parse_whole(text, parsed);
  if (error == std::errc::invalid_argument) {
    return excerpt(text) + " is not an integer from " + kUnsignedLimitText;
  }
  if (error != std::errc()) return excerpt(text) + " is out of range: " + kUnsignedLimitText;
  value = parsed;
  return {};
}

std::string parse_lr(std::string_view text, double& value) {
  double parsed = 0;
  std::errc error = parse_whole(text, parsed);
  if (error == std::errc::invalid_argument || std::isnan(parsed)) {
    return excerpt(text) + " is not a number in " + kLrLimitText;
  }
  if (error != std::errc() || !(parsed >= 0 && parsed <= kMaxLr)) {
    return excerpt(text) + " is out of range " + kLrLimitText;
  }
  value = parsed;
  return {};
}

}  // namespace ember::cli
