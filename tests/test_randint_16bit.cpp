// Integer random numbers into float16 and bfloat16 on the CPU: the int32 stream's
// integers (the same Philox lanes), rounded to float32 and then to the 16-bit dtype.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "core/backend.h"
#include "test_util.h"

namespace ember::test {
namespace {

constexpr DType kHalfDtypes[] = {kFloat16, kBFloat16};

// The largest integer each dtype holds exactly, all below it too (randint's limit).
int64_t exact_limit(DType dtype) { return dtype == kFloat16 ? 2048 : 256; }

TEST(Randint16Bit, GivesTheInt32StreamsIntegers) {
  for (DType dtype : kHalfDtypes) {
    int64_t limit = exact_limit(dtype);
    for (auto [low, high] : {std::pair<int64_t, int64_t>{0, 10}, {-limit, limit + 1}}) {
      for (int64_t n : {1, 7, 1001}) {
        SCOPED_TRACE(std::string(dtype_name(dtype)) + " [" + std::to_string(low) + ", " +
                     std::to_string(high) + ") n=" + std::to_string(n));
        manual_seed(3);
        Tensor got = randint(low, high, {n}, dtype);
        manual_seed(3);
        std::vector<int32_t> integers = randint(low, high, {n}, kInt32).to_vector<int32_t>();
        ASSERT_EQ(got.dtype(), dtype);
        EXPECT_EQ(values_of(got), std::vector<double>(integers.begin(), integers.end()));
      }
    }
  }
}

// Wider ranges than randint allows reach the kernel from the backend: each value is the
// int32 stream's integer rounded to nearest, so within the unit roundoff of it (2^-11
// relative for float16, which keeps 11 significant bits, 2^-8 for bfloat16), plus
// float32's 2^-24 for the first rounding of integers beyond 2^24.
TEST(Randint16Bit, RoundsWhatTheDtypeCannotHold) {
  for (DType dtype : kHalfDtypes) {
    SCOPED_TRACE(dtype_name(dtype));
    // 60,000 stays below float16's largest finite value.
    double high = dtype == kFloat16 ? 60000 : 0x1p30;
    Tensor got = empty({4099}, dtype);
    Tensor integers = empty({4099}, kInt32);
    backend_for(kCPU).random(Distribution::Integer, 42, 1000, -high, high, got);
    backend_for(kCPU).random(Distribution::Integer, 42, 1000, -high, high, integers);
    std::vector<double> values = values_of(got), want = values_of(integers);
    double roundoff = (dtype == kFloat16 ? 0x1p-11 : 0x1p-8) + 0x1p-24;
    size_t rounded = 0;
    for (size_t i = 0; i < values.size(); ++i) {
      EXPECT_LE(std::abs(values[i] - want[i]), std::abs(want[i]) * roundoff) << i;
      rounded += values[i] != want[i] ? 1 : 0;
    }
    EXPECT_GT(rounded, values.size() / 2);  // the test reaches the rounding
    // The CPU's int32 -> 16-bit cast rounds the same way, through float32.
    EXPECT_EQ(values, values_of(integers.to(dtype)));
  }
}

TEST(Randint16Bit, StaysInTheRange) {
  for (DType dtype : kHalfDtypes) {
    SCOPED_TRACE(dtype_name(dtype));
    manual_seed(9);
    std::vector<double> values = values_of(randint(-3, 4, {4099}, dtype));
    for (double v : values) {
      EXPECT_GE(v, -3);
      EXPECT_LT(v, 4);
    }
    // 4,099 draws from 7 integers miss none of them.
    for (int k = -3; k < 4; ++k) EXPECT_NE(std::count(values.begin(), values.end(), k), 0) << k;
  }
}

TEST(Randint16Bit, RefusesRangesItCannotHold) {
  expect_error([] { randint(0, 2050, {3}, kFloat16); }, "randint",
               "the range [0, 2050) does not fit dtype float16");
  expect_error([] { randint(-257, 0, {3}, kBFloat16); }, "randint",
               "the range [-257, 0) does not fit dtype bfloat16");
  expect_error([] { randint(5, 5, {3}, kFloat16); }, "randint", "expects low < high");
}

}  // namespace
}  // namespace ember::test
