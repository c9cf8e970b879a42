// Checked sizes: no shape, view, range or allocation wraps, and the CPU allocator's figures.
#include <cstdint>
#include <limits>
#include <thread>

#include "core/sizes.h"
#include "core/tensor_impl.h"
#include "test_util.h"

namespace ember {
namespace {

using test::expect_error;

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();

TEST(SizesHelpers, ArithmeticIsExactOrRefused) {
  EXPECT_EQ(checked_mul(int64_t{1} << 31, int64_t{1} << 31, "op", "x"), int64_t{1} << 62);
  expect_error([] { checked_mul(kInt64Max, 2, "op", "the product"); }, "op",
               "the product overflows");
  EXPECT_EQ(checked_add(kInt64Max - 1, 1, "op", "x"), kInt64Max);
  expect_error([] { checked_add(kInt64Max, 1, "op", "the sum"); }, "op", "the sum overflows");
  EXPECT_EQ(checked_round_up(65, 64, "op"), 128u);
  EXPECT_EQ(checked_round_up(128, 64, "op"), 128u);
  expect_error([] { checked_round_up(SIZE_MAX - 62, 64, "op"); }, "op",
               "cannot be rounded up to a multiple of 64");
}

TEST(SizesHelpers, NumelCountsZeroSizesButRefusesWrappingOnes) {
  EXPECT_EQ(checked_numel({}, "op"), 1);
  EXPECT_EQ(checked_numel({0, int64_t{1} << 62}, "op"), 0);
  EXPECT_EQ(checked_numel({3, 5}, "op"), 15);
  // 2^32 * 2^32 wraps to 0 in int64; a zero beside them must not hide that.
  expect_error(
      [] {
        checked_numel({int64_t{1} << 32, int64_t{1} << 32}, "op");
      },
      "op", "more elements than an int64 counts");
  expect_error(
      [] {
        checked_numel({0, kInt64Max, 2}, "op");
      },
      "op", "more elements than an int64 counts");
  expect_error([] { checked_numel({2, -1}, "op"); }, "op", "negative size in shape [2,-1]");
}

TEST(SizesHelpers, BytesStopAtTheTensorLimit) {
  EXPECT_EQ(kMaxTensorBytes, uint64_t{1} << 62);
  EXPECT_EQ(checked_nbytes(static_cast<int64_t>(kMaxTensorBytes / 4), kFloat32, "op"),
            kMaxTensorBytes);
  expect_error(
      [] { checked_nbytes(static_cast<int64_t>(kMaxTensorBytes / 4) + 1, kFloat32, "op"); }, "op",
      "bytes a tensor may hold");
  expect_error([] { checked_nbytes(-1, kFloat32, "op"); }, "op", "negative element count");
}

TEST(SizesHelpers, ViewExtentIsOnePastTheLastElement) {
  EXPECT_EQ(checked_view_extent({2, 3}, {3, 1}, 0, kFloat32, "op"), 24u);
  EXPECT_EQ(checked_view_extent({2, 3}, {1, 2}, 4, kInt64, "op"), (4 + 1 + 4 + 1) * 8u);
  EXPECT_EQ(checked_view_extent({int64_t{1} << 62}, {0}, 2, kFloat32, "op"), 12u);
  EXPECT_EQ(checked_view_extent({0, 5}, {kInt64Max, kInt64Max}, 0, kFloat32, "op"), 0u);
  expect_error([] { checked_view_extent({3}, {-1}, 1, kFloat32, "op"); }, "op",
               "reaches before the start of its storage");
  expect_error(
      [] { checked_view_extent({int64_t{1} << 32}, {int64_t{1} << 32}, 0, kFloat32, "op"); }, "op",
      "the view's extent overflows");
}

TEST(SizesHelpers, StridesAndNumelOfTheCoreAreChecked) {
  EXPECT_EQ(contiguous_strides({0, 4, 3}), (Shape{12, 3, 1}));
  EXPECT_EQ(shape_numel({0, 4, 3}), 0);
  expect_error(
      [] {
        contiguous_strides({int64_t{1} << 62, 4, 0}, "op");
      },
      "op", "a contiguous stride overflows");
  expect_error(
      [] {
        shape_numel({int64_t{1} << 32, int64_t{1} << 32}, "op");
      },
      "op", "more elements than an int64 counts");
}

// Defect: rounding and shape x itemsize wrapped, and the allocation overflowed the heap.
TEST(SizesCreation, HugeShapesAreRefusedBeforeAllocating) {
  expect_error([] { empty({(1LL << 62) - 1}).fill_(1); }, "empty", "bytes a tensor may hold");
  expect_error([] { zeros({(1LL << 61) - 1}, kInt64); }, "zeros", "bytes a tensor may hold");
  expect_error([] { ones({1LL << 32, 1LL << 32}); }, "ones", "more elements than an int64 counts");
  expect_error([] { full({1LL << 61}, 2, kFloat32); }, "full", "bytes a tensor may hold");
  expect_error([] { zeros({3, -2}); }, "zeros", "negative size in shape [3,-2]");
  expect_error(
      [] {
        from_vector(std::vector<float>{1, 2}, {1LL << 60, 4});
      },
      "from_vector", "bytes a tensor may hold");
}

TEST(SizesCreation, RandomOpsNameThemselves) {
  expect_error([] { randn({1LL << 61}); }, "randn", "bytes a tensor may hold");
  expect_error([] { rand({2, -1}); }, "rand", "negative size in shape [2,-1]");
  expect_error(
      [] {
        randint(0, 5, {1LL << 32, 1LL << 32});
      },
      "randint", "more elements than an int64 counts");
}

TEST(SizesCreation, AnAllocationTheSystemRefusesIsOutOfMemory) {
  // 2^61 bytes is within kMaxTensorBytes but past any machine's address space.
  expect_error([] { empty({1LL << 59}, kFloat32); }, "empty",
               "out of memory: the system refused 2305843009213693952 bytes");
  Tensor wide = ones({1}).expand({1LL << 59});
  expect_error([&] { wide.contiguous(); }, "contiguous", "out of memory");
  expect_error([&] { wide.clone(); }, "clone", "out of memory");
  expect_error([&] { exp(wide); }, "exp", "out of memory");
  expect_error([&] { wide.to(kFloat16); }, "to", "out of memory");
  expect_error([&] { cumsum(wide, 0); }, "cumsum", "out of memory");
  expect_error([&] { bernoulli(wide); }, "bernoulli", "out of memory");
}

// Defect: eye(n) allocated n * n bytes without checking the product.
TEST(SizesCreation, EyeChecksItsSize) {
  expect_error([] { eye(1LL << 32); }, "eye", "more elements than an int64 counts");
  expect_error([] { eye(1LL << 31); }, "eye", "bytes a tensor may hold");
  expect_error([] { eye(3, -2); }, "eye", "column count must be non-negative");
  expect_error([] { eye(-1); }, "eye", "non-negative");
  EXPECT_EQ(eye(2, 3).to_vector<float>(), (std::vector<float>{1, 0, 0, 0, 1, 0}));
  EXPECT_EQ(eye(3, 2, kInt64).to_vector<int64_t>(), (std::vector<int64_t>{1, 0, 0, 1, 0, 0}));
  EXPECT_EQ(eye(2, -1, kBool).to_vector<int64_t>(), (std::vector<int64_t>{1, 0, 0, 1}));
  EXPECT_EQ(eye(0).shape(), (Shape{0, 0}));
  EXPECT_EQ(eye(4, 0).shape(), (Shape{4, 0}));
}

// Defect: arange(0, 1e30) threw std::length_error.
TEST(SizesCreation, ArangeRefusesRangesItCannotHold) {
  expect_error([] { arange(0, 1e30); }, "arange", "1e+30 elements");
  expect_error([] { arange(0.0, 1e300, 1e-300); }, "arange", "inf elements");
  expect_error([] { arange(0.0, std::nan("")); }, "arange", "bounds must be finite");
  expect_error([] { arange(-INFINITY, 0.0); }, "arange", "bounds must be finite");
  expect_error([] { arange(0.0, 1.0, std::nan("")); }, "arange", "non-zero and finite");
  expect_error([] { arange(0.0, 1.0, INFINITY); }, "arange", "non-zero and finite");
  expect_error([] { arange(0, 5, 0); }, "arange", "non-zero");
  expect_error([] { arange(kInt64Min, kInt64Max); }, "arange", "18446744073709551615 elements");
  expect_error([] { arange(5, 0, 1); }, "arange", "does not lead from 5 to 0");
}

TEST(SizesCreation, IntegerArangeIsExactAtTheEdgesOfInt64) {
  EXPECT_EQ(arange(kInt64Max - 3, kInt64Max).to_vector<int64_t>(),
            (std::vector<int64_t>{kInt64Max - 3, kInt64Max - 2, kInt64Max - 1}));
  EXPECT_EQ(arange(kInt64Min, kInt64Max, kInt64Max).to_vector<int64_t>(),
            (std::vector<int64_t>{kInt64Min, -1, kInt64Max - 1}));
  EXPECT_EQ(arange(kInt64Max, kInt64Min, kInt64Min).to_vector<int64_t>(),
            (std::vector<int64_t>{kInt64Max, -1}));
  EXPECT_EQ(arange(10, 0, -4).to_vector<int64_t>(), (std::vector<int64_t>{10, 6, 2}));
  EXPECT_EQ(arange(0.0, 1.0, 0.25).to_vector<float>(), (std::vector<float>{0, 0.25, 0.5, 0.75}));
  EXPECT_EQ(arange(3, 3).numel(), 0);
}

TEST(SizesCreation, LinspaceRefusesWhatItCannotHold) {
  expect_error([] { linspace(0, 1, 1LL << 60); }, "linspace", "bytes a tensor may hold");
  EXPECT_EQ(linspace(0, 1, 5).to_vector<float>(), (std::vector<float>{0, 0.25, 0.5, 0.75, 1}));
}

// Defect: a zero-size tensor viewed as 2^32 x 2^32 wrapped to 0 elements, then read memory.
TEST(SizesViews, ViewAndReshapeRefuseWrappingShapes) {
  expect_error(
      [] {
        zeros({0}).view({1LL << 32, 1LL << 32}).select(1, 5).sum();
      },
      "view", "more elements than an int64 counts");
  expect_error(
      [] {
        zeros({0}).reshape({1LL << 32, 1LL << 32});
      },
      "reshape", "more elements than an int64 counts");
  expect_error(
      [] {
        zeros({0}).view({-1, 1LL << 62, 4});
      },
      "view", "more elements than an int64 counts");
  expect_error([] { zeros({0}).reshape({-1, 0}); }, "reshape", "is invalid for a tensor of 0");
  expect_error([] { zeros({4}).view({-2, -2}); }, "view", "invalid size -2 in shape [-2,-2]");
  expect_error(
      [] {
        zeros({6}).unflatten(0, {1LL << 32, 1LL << 32});
      },
      "unflatten", "more elements than an int64 counts");
  EXPECT_EQ(zeros({0}).view({-1, 1LL << 40}).shape(), (Shape{0, 1LL << 40}));
}

// Defect: ones({1}).expand({3, 6148914691236517206}) reported numel() == 2.
TEST(SizesViews, ExpandRefusesWrappingShapes) {
  expect_error(
      [] {
        ones({1}).expand({3, 6148914691236517206});
      },
      "expand", "more elements than an int64 counts");
  expect_error([] { ones({1}).expand({-2, 1}); }, "expand", "negative size");
  Tensor wide = ones({1}).expand({1LL << 62});
  EXPECT_EQ(wide.numel(), 1LL << 62);
  EXPECT_EQ(wide.stride(0), 0);
  expect_error(
      [&] {
        wide.unsqueeze(0).expand({4, 1LL << 62});
      },
      "expand", "more elements than an int64 counts");
  expect_error([&] { wide.contiguous(); }, "contiguous", "bytes a tensor may hold");
  expect_error([&] { wide.clone(); }, "clone", "bytes a tensor may hold");
  expect_error([&] { neg(wide); }, "neg", "bytes a tensor may hold");
  expect_error([&] { wide.to(kInt64); }, "to", "bytes a tensor may hold");
  expect_error(
      [] {
        sum(ones({1, 1}).expand({1LL << 61, 2}), {1});
      },
      "sum", "bytes a tensor may hold");
  expect_error([&] { softmax(wide, 0); }, "softmax", "bytes a tensor may hold");
}

TEST(SizesViews, SliceNarrowAndSelectStayInsideTheirDimension) {
  Tensor x = arange(10);
  EXPECT_EQ(x.slice(0, 0, 10, kInt64Max).to_vector<int64_t>(), (std::vector<int64_t>{0}));
  EXPECT_EQ(x.slice(0, 3, kInt64Max, kInt64Max - 1).to_vector<int64_t>(),
            (std::vector<int64_t>{3}));
  EXPECT_EQ(x.slice(0, kInt64Min, kInt64Max, 4).to_vector<int64_t>(),
            (std::vector<int64_t>{0, 4, 8}));
  EXPECT_EQ(x.slice(0, kInt64Max, kInt64Max).numel(), 0);
  EXPECT_EQ(x.slice(0, -3, kInt64Max).to_vector<int64_t>(), (std::vector<int64_t>{7, 8, 9}));
  expect_error([&] { x.narrow(0, 5, kInt64Max); }, "narrow", "outside dimension 0 of size 10");
  expect_error([&] { x.narrow(0, kInt64Min, 1); }, "narrow", "outside dimension 0 of size 10");
  expect_error([&] { x.narrow(0, 11, 0); }, "narrow", "outside dimension");
  expect_error([&] { x.narrow(0, 2, -1); }, "narrow", "outside dimension");
  EXPECT_EQ(x.narrow(0, -2, 2).to_vector<int64_t>(), (std::vector<int64_t>{8, 9}));
  EXPECT_EQ(x.narrow(0, 10, 0).numel(), 0);
  expect_error([&] { x.select(0, kInt64Min); }, "select", "out of range");
  expect_error([&] { x.select(0, kInt64Max); }, "select", "out of range");
  expect_error([&] { x.transpose(0, kInt64Min); }, "transpose", "out of range");
  expect_error([&] { x.permute({kInt64Max}); }, "permute", "out of range");
  expect_error([&] { x.unsqueeze(kInt64Max); }, "unsqueeze", "out of range");
  expect_error([&] { x.squeeze(kInt64Min); }, "squeeze", "out of range");
}

TEST(SizesViews, FlattenOfAZeroSizeTensorKeepsItsCount) {
  Tensor x = zeros({0, 1LL << 40, 1LL << 20});
  EXPECT_EQ(x.flatten(1).shape(), (Shape{0, 1LL << 60}));
  EXPECT_EQ(x.flatten().shape(), (Shape{0}));
  EXPECT_EQ(x.unsqueeze(1).strides(), (Shape{1LL << 60, 1LL << 60, 1LL << 20, 1}));
}

// Printing reads only the edge items it shows, not all of a view's elements.
TEST(SizesViews, PrintingAHugeBroadcastReadsOnlyTheEdges) {
  EXPECT_EQ(to_string(ones({1}).expand({1LL << 40})), "tensor([1., 1., 1.,  ..., 1., 1., 1.])");
  EXPECT_EQ(to_string(arange(2000).reshape({1000, 2}).expand({1LL << 40, 1000, 2}).select(0, 7)),
            "tensor([[   0,    1],\n        [   2,    3],\n        [   4,    5],\n        ...,\n"
            "        [1994, 1995],\n        [1996, 1997],\n        [1998, 1999]])");
}

// Allocated counts live storages in 64-byte blocks; reserved adds the cached large blocks.
TEST(SizesMemory, CpuStatisticsFollowTensors) {
  constexpr size_t kBytes = size_t{4} << 20;  // cached when freed
  empty_cache(kCPU);
  MemoryStats before = memory_stats(kCPU);
  EXPECT_EQ(before.reserved, before.allocated);
  reset_peak_memory(kCPU);
  EXPECT_EQ(memory_stats(kCPU).peak, before.allocated);
  {
    Tensor big = zeros({static_cast<int64_t>(kBytes / 4)});
    MemoryStats during = memory_stats(kCPU);
    EXPECT_EQ(during.allocated, before.allocated + kBytes);
    EXPECT_EQ(during.reserved, during.allocated);
    EXPECT_EQ(during.peak, during.allocated);
    Tensor small = zeros({25});  // 100 bytes, one 128-byte block
    EXPECT_EQ(memory_stats(kCPU).allocated, during.allocated + 128);
  }
  MemoryStats after = memory_stats(kCPU);
  EXPECT_EQ(after.allocated, before.allocated);
  EXPECT_EQ(after.peak, before.allocated + kBytes + 128);
  EXPECT_EQ(after.reserved, before.reserved + kBytes);  // the large block is cached
  {
    Tensor again = empty({static_cast<int64_t>(kBytes / 4)});  // takes the cached block
    EXPECT_EQ(memory_stats(kCPU).reserved, before.reserved + kBytes);
  }
  empty_cache(kCPU);
  EXPECT_EQ(memory_stats(kCPU).reserved, before.reserved);
  reset_peak_memory(kCPU);
  EXPECT_EQ(memory_stats(kCPU).peak, before.allocated);
}

TEST(SizesMemory, CpuStatisticsBalanceAcrossThreads) {
  empty_cache(kCPU);
  MemoryStats before = memory_stats(kCPU);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t] {
      for (int i = 0; i < 200; ++i) {
        Tensor small = empty({i + t});
        Tensor large = empty({(int64_t{1} << 16) + 16 * (i % 4)});  // cached sizes repeat
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  MemoryStats after = memory_stats(kCPU);
  EXPECT_EQ(after.allocated, before.allocated);
  EXPECT_GE(after.peak, before.allocated + (size_t{1} << 18));
  EXPECT_GT(after.reserved, before.reserved);
  empty_cache(kCPU);
  EXPECT_EQ(memory_stats(kCPU).reserved, before.reserved);
}

}  // namespace
}  // namespace ember
