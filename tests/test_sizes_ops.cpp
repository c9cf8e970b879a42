// Sizes the ops compute from user input: split and chunk counts, joined and broadcast shapes,
// class counts and host copies never wrap, and their errors name the op the user called.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "core/sizes.h"
#include "test_util.h"

namespace ember {
namespace {

using test::expect_error;

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();

std::vector<int64_t> sizes_along(const std::vector<Tensor>& parts, int64_t dim = 0) {
  std::vector<int64_t> sizes;
  for (const Tensor& part : parts) sizes.push_back(part.size(dim));
  return sizes;
}

// A 1-d view of n elements that all read one stored value.
Tensor broadcast_vector(int64_t n) { return ones({1}).expand({n}); }

TEST(SizesOpsSplit, ChunkCountsPastTheDimGiveOneElementParts) {
  EXPECT_EQ(sizes_along(chunk(arange(10), kInt64Max, 0)), std::vector<int64_t>(10, 1));
  EXPECT_EQ(sizes_along(chunk(arange(10), 3, 0)), (std::vector<int64_t>{4, 4, 2}));
}

TEST(SizesOpsSplit, ChunkOfTheLargestDimDoesNotWrap) {
  std::vector<Tensor> parts = chunk(broadcast_vector(kInt64Max), 2, 0);
  EXPECT_EQ(sizes_along(parts), (std::vector<int64_t>{int64_t{1} << 62, (int64_t{1} << 62) - 1}));
  EXPECT_EQ(parts[1].storage_offset(), 0);
}

TEST(SizesOpsSplit, ChunkOfAnEmptyDimKeepsTorchsCountButRefusesHugeOnes) {
  EXPECT_EQ(sizes_along(chunk(zeros({0}), 3, 0)), (std::vector<int64_t>{0, 0, 0}));
  expect_error([] { chunk(zeros({0}), kInt64Max, 0); }, "chunk",
               "would return 9223372036854775807 tensors; at most 16777216 are allowed");
  expect_error([] { chunk(broadcast_vector(int64_t{1} << 40), int64_t{1} << 40, 0); }, "chunk",
               "would return 1099511627776 tensors");
}

TEST(SizesOpsSplit, SplitSizeNearTheLimitDoesNotWrap) {
  int64_t split_size = (int64_t{1} << 62) + 1;
  std::vector<Tensor> parts = split(broadcast_vector(kInt64Max), split_size, 0);
  EXPECT_EQ(sizes_along(parts), (std::vector<int64_t>{split_size, kInt64Max - split_size}));
  EXPECT_EQ(sizes_along(split(arange(5), kInt64Max, 0)), (std::vector<int64_t>{5}));
}

TEST(SizesOpsSplit, SplitIntoTooManyPartsIsRefused) {
  expect_error([] { split(broadcast_vector(int64_t{1} << 40), 1, 0); }, "split",
               "would return 1099511627776 tensors");
}

TEST(SizesOpsSplit, SplitSizesThatWrapToTheDimAreRefused) {
  // kInt64Max + kInt64Max + 7 wraps to 5, the size of the dim.
  expect_error(
      [] {
        split(arange(5), std::vector<int64_t>{kInt64Max, kInt64Max, 7}, 0);
      },
      "split", "the split sizes overflows");
  expect_error(
      [] {
        split(arange(5), std::vector<int64_t>{2, 2}, 0);
      },
      "split", "add up to 4, not to 5");
}

// Refused before allocating: no overcommit setting or sanitizer can turn these into a
// granted allocation, a killed process or an abort.
TEST(SizesOpsHostCopies, ToVectorPastThisMachinesMemoryIsRefused) {
  Tensor huge = ones({1}).expand({int64_t{1} << 58});
  expect_error([&] { huge.to_vector<float>(); }, "to_vector",
               "1152921504606846976 bytes do not fit in the " +
                   std::to_string(host_memory_bytes()) + " bytes of this machine's memory");
  expect_error([&] { huge.to_vector<bool>(); }, "to_vector",
               "288230376151711744 bytes do not fit in the");
}

TEST(SizesOpsHostCopies, ToVectorCountsTheSourceElementsItHoldsOnTheHost) {
  ASSERT_LT(host_memory_bytes(), uint64_t{1} << 60);
  auto count = static_cast<int64_t>(host_memory_bytes() / 2);
  Tensor wide = ones({1}, kFloat64).expand({count});
  expect_error([&] { wide.to_vector<uint8_t>(); }, "to_vector",
               std::to_string(count * 8) + " bytes do not fit in the");
}

TEST(SizesOpsHostCopies, ToVectorOfBoolsReadsEachElement) {
  Tensor flags = from_vector(std::vector<float>{0, 2, -1, 0}) != 0;
  EXPECT_EQ(flags.to_vector<bool>(), (std::vector<bool>{false, true, true, false}));
  EXPECT_EQ(ones({1}, kBool).expand({3}).to_vector<bool>(), (std::vector<bool>(3, true)));
}

TEST(SizesOpsHostCopies, PrintingMoreShownElementsThanMemoryHoldsIsRefused) {
  // Six per dim are all shown even in a summary: 6^20 elements.
  Shape shape(20, 6);
  Tensor wide = ones(Shape(20, 1)).expand(shape);
  expect_error([&] { to_string(wide); }, "to_string", "29249267520503808 bytes do not fit in the");
  EXPECT_EQ(to_string(ones({1}).expand({int64_t{1} << 40})),
            "tensor([1., 1., 1.,  ..., 1., 1., 1.])");
}

TEST(SizesOpsHostCopies, ToVectorPastTheTensorLimitIsRefused) {
  Tensor huge = ones({1}).expand({int64_t{1} << 61});
  expect_error([&] { huge.to_vector<double>(); }, "to_vector",
               "2305843009213693952 float64 elements need more than the 4611686018427387904 bytes");
  expect_error([] { Tensor().to_vector<float>(); }, "to_vector", "undefined");
}

TEST(SizesOpsHostCopies, ItemOfAHugeBroadcastIsRefused) {
  expect_error([] { ones({1}).expand({int64_t{1} << 40}).item<float>(); }, "item",
               "a tensor with 1099511627776 elements cannot be read as one number");
}

TEST(SizesOpsHostCopies, FromVectorChecksTheShapeBeforeAllocating) {
  expect_error(
      [] {
        from_vector(std::vector<float>{1, 2}, {int64_t{1} << 40});
      },
      "from_vector", "2 values do not fill shape [1099511627776] (1099511627776 elements)");
  expect_error(
      [] {
        from_vector(std::vector<float>{1}, {int64_t{1} << 62, 4});
      },
      "from_vector", "more elements than an int64 counts");
  EXPECT_EQ(from_vector(std::vector<float>{1, 2, 3, 4}, {2, 2}).to_vector<float>(),
            (std::vector<float>{1, 2, 3, 4}));
}

TEST(SizesOpsJoin, CatSizesThatWrapAreRefused) {
  Tensor quarter = broadcast_vector(int64_t{1} << 62);
  // Four of 2^62 wrap to 0.
  expect_error(
      [&] {
        cat({quarter, quarter, quarter, quarter}, 0);
      },
      "cat", "the sizes along the joined dimension overflows");
  Tensor square = ones({1, 1}).expand({int64_t{1} << 31, int64_t{1} << 31});
  expect_error([&] { cat({square, square}, 0); }, "cat", "more elements than an int64 counts");
}

TEST(SizesOpsJoin, StackNamesItself) {
  Tensor quarter = ones({1, 1}).expand({int64_t{1} << 62, 1});
  expect_error(
      [&] {
        stack({quarter, quarter, quarter, quarter}, 1);
      },
      "stack", "more elements than an int64 counts");
}

TEST(SizesOpsIndex, OneHotClassCountsDoNotWrap) {
  Tensor largest = from_vector(std::vector<int64_t>{kInt64Max});
  expect_error([&] { one_hot(largest, -1); }, "one_hot", "the number of classes overflows");
  Tensor zero = from_vector(std::vector<int64_t>{0});
  expect_error([&] { one_hot(zero, kInt64Max); }, "one_hot", "bytes a tensor may hold");
  EXPECT_EQ(one_hot(from_vector(std::vector<int64_t>{2, 0}), -1).to_vector<int64_t>(),
            (std::vector<int64_t>{0, 0, 1, 1, 0, 0}));
}

TEST(SizesOpsIndex, IndexSelectNamesItselfForAHugeResult) {
  Tensor x = ones({1, 1}).expand({int64_t{1} << 32, 1});
  Tensor index = zeros({1}, kInt64).expand({int64_t{1} << 32});
  expect_error([&] { index_select(x, 1, index); }, "index_select",
               "more elements than an int64 counts");
}

TEST(SizesOpsBroadcast, MatmulBatchesThatOverflowNameMatmul) {
  Tensor a = ones({1, 1, 1, 1}).expand({int64_t{1} << 32, 1, 1, 1});
  Tensor b = ones({1, 1, 1, 1}).expand({1, int64_t{1} << 32, 1, 1});
  expect_error([&] { matmul(a, b); }, "matmul", "more elements than an int64 counts");
  Tensor c = ones({1, 1, 1, 1}).expand({int64_t{1} << 31, 1, 1, 1});
  Tensor d = ones({1, 1, 1, 1}).expand({1, int64_t{1} << 31, 1, 1});
  expect_error([&] { matmul(c, d); }, "matmul", "bytes a tensor may hold");
}

TEST(SizesOpsBroadcast, ElementwiseResultsThatOverflowNameTheOp) {
  Tensor column = ones({1, 1}).expand({int64_t{1} << 32, 1});
  Tensor row = ones({1, 1}).expand({1, int64_t{1} << 32});
  expect_error([&] { add(column, row); }, "add", "more elements than an int64 counts");
  Tensor mask = ones({1, 1}, kBool).expand({1, int64_t{1} << 32});
  expect_error([&] { where(mask, column, row); }, "where", "more elements than an int64 counts");
  expect_error([&] { masked_fill(column, mask, 0); }, "masked_fill",
               "more elements than an int64 counts");
}

TEST(SizesOpsRandom, RandpermIsAPermutation) {
  manual_seed(3);
  std::vector<int64_t> order = randperm(1000).to_vector<int64_t>();
  std::vector<int64_t> sorted = order;
  std::sort(sorted.begin(), sorted.end());
  std::vector<int64_t> expected(1000);
  for (int64_t i = 0; i < 1000; ++i) expected[static_cast<size_t>(i)] = i;
  EXPECT_EQ(sorted, expected);
  EXPECT_NE(order, expected);
}

}  // namespace
}  // namespace ember
