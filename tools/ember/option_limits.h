// The ranges of the settings `ember` accepts: the command line and a checkpoint's metadata
// are held to the same ones, so a crafted checkpoint cannot do what a flag may not.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ember::cli {

struct IntegerLimit {
  int64_t min, max;
  const char* text;  // for people: "1 to 2^40"
};

// Batches and sample counts stay far below int64 once multiplied or summed.
inline constexpr IntegerLimit kBatchSizeLimit{1, int64_t{1} << 40, "1 to 2^40"};
inline constexpr IntegerLimit kSamplesLimit{0, int64_t{1} << 40, "0 to 2^40; 0: all"};
// A shuffle draws each epoch's order from its own range of 2^40 counters.
inline constexpr IntegerLimit kEpochsLimit{1, int64_t{1} << 24, "1 to 2^24"};
inline constexpr IntegerLimit kEpochsDoneLimit{0, kEpochsLimit.max, "0 to 2^24"};
inline constexpr IntegerLimit kStepsLimit{1, int64_t{1} << 40, "1 to 2^40"};
inline constexpr IntegerLimit kWarmupLimit{0, int64_t{1} << 40, "0 to 2^40"};
inline constexpr double kMaxLr = 1e300;
inline constexpr const char* kLrLimitText = "[0, 1e300]";
inline constexpr const char* kUnsignedLimitText = "0 to 2^64-1";

// Each returns an empty string when text is acceptable and stores its value; otherwise a
// short sentence saying what text is, e.g. "-5 is out of range: 0 to 2^40; 0: all".
std::string parse_integer(std::string_view text, const IntegerLimit& limit, int64_t& value);
std::string parse_unsigned(std::string_view text, uint64_t& value);
std::string parse_lr(std::string_view text, double& value);

}  // namespace ember::cli
