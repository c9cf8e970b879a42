// int32, int64 and uint8 matmul on vulkan:0, bit for bit the CPU's: sums wrap in the
// dtype's width, so operands spread over the whole range overflow in nearly every sum.
#include <random>
#include <string>
#include <vector>

#include "core/backend.h"
#include "vulkan_test_util.h"

namespace ember::test {
namespace {

constexpr DType kIntegerDtypes[] = {kInt32, kInt64, kUInt8};

// Non-zero values spread over the dtype's whole range.
Tensor random_integers(const Shape& shape, DType dtype, uint32_t seed) {
  std::mt19937_64 gen(seed);
  std::vector<int64_t> values(static_cast<size_t>(numel_of(shape)));
  for (int64_t& v : values) {
    do {
      v = static_cast<int64_t>(gen());
    } while (v == 0 || (dtype == kInt32 && static_cast<int32_t>(v) == 0) ||
             (dtype == kUInt8 && static_cast<uint8_t>(v) == 0));
  }
  Tensor wide = from_vector(values, shape);
  if (dtype == kInt64) return wide;
  // Keeps the low bits, as the dtype's wrapping does.
  std::vector<int64_t> low(values.size());
  int bits = dtype == kInt32 ? 32 : 8;
  for (size_t i = 0; i < values.size(); ++i) {
    auto word = static_cast<uint64_t>(values[i]) & ((uint64_t{1} << bits) - 1);
    low[i] = dtype == kInt32 ? static_cast<int32_t>(static_cast<uint32_t>(word))
                             : static_cast<int64_t>(word);
  }
  return from_vector(low, shape).to(dtype);
}

// The operand of `shape`, or the transpose of column-major data if `transposed`.
Tensor integer_operand(Shape shape, bool transposed, DType dtype, uint32_t seed) {
  if (!transposed) return random_integers(shape, dtype, seed);
  std::swap(shape[shape.size() - 1], shape[shape.size() - 2]);
  return random_integers(shape, dtype, seed).transpose(-1, -2);
}

// a [m, k] @ b [k, n] with every product and sum wrapped modulo 2^bits, from int64 values.
std::vector<int64_t> wrapped_product(const Tensor& a, const Tensor& b, DType dtype) {
  int64_t m = a.size(0), k = a.size(1), n = b.size(1);
  std::vector<int64_t> av = a.to(kInt64).contiguous().to_vector<int64_t>();
  std::vector<int64_t> bv = b.to(kInt64).contiguous().to_vector<int64_t>();
  std::vector<int64_t> out(static_cast<size_t>(m * n));
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      uint64_t sum = 0;
      for (int64_t p = 0; p < k; ++p) {
        sum += static_cast<uint64_t>(av[i * k + p]) * static_cast<uint64_t>(bv[p * n + j]);
      }
      if (dtype == kInt32) sum = static_cast<uint64_t>(int64_t{static_cast<int32_t>(sum)});
      if (dtype == kUInt8) sum &= 0xffu;
      out[i * n + j] = static_cast<int64_t>(sum);
    }
  }
  return out;
}

struct IntegerMatmulCase {
  std::string name;
  Shape a_shape, b_shape;
  bool transpose_a = false, transpose_b = false;
};

// Sizes that are not multiples of the 16 x 16 tiles, several tiles along each side
// (k too), transposed operands and broadcast batches.
const std::vector<IntegerMatmulCase>& integer_cases() {
  static const std::vector<IntegerMatmulCase> cases = {
      {"1x1x1", {1, 1}, {1, 1}},
      {"37x19x53", {37, 19}, {19, 53}},
      {"17x67x33", {17, 67}, {67, 33}},
      {"a transposed", {35, 23}, {23, 18}, true, false},
      {"b transposed", {18, 41}, {41, 35}, false, true},
      {"both transposed", {33, 17}, {17, 31}, true, true},
      {"broadcast batches", {2, 1, 17, 29}, {3, 29, 19}},
      {"batched, b transposed", {3, 33, 21}, {3, 21, 9}, false, true},
  };
  return cases;
}

TEST(VulkanIntegerMatmul, MatchesTheCpuBitForBit) {
  REQUIRE_GPU();
  for (DType dtype : kIntegerDtypes) {
    uint32_t seed = 5;
    for (const IntegerMatmulCase& c : integer_cases()) {
      SCOPED_TRACE(std::string(dtype_name(dtype)) + " " + c.name);
      Tensor a = integer_operand(c.a_shape, c.transpose_a, dtype, seed++);
      Tensor b = integer_operand(c.b_shape, c.transpose_b, dtype, seed++);
      Tensor got = matmul(a.to(kGpu), b.to(kGpu));
      ASSERT_EQ(got.device(), kGpu);
      ASSERT_EQ(got.dtype(), dtype);
      Tensor want = matmul(a, b);
      ASSERT_EQ(got.shape(), want.shape());
      EXPECT_EQ(got.to(kCPU).to(kInt64).to_vector<int64_t>(), want.to(kInt64).to_vector<int64_t>());
    }
  }
}

TEST(VulkanIntegerMatmul, WrapsInTheDtypesWidth) {
  REQUIRE_GPU();
  for (DType dtype : kIntegerDtypes) {
    SCOPED_TRACE(dtype_name(dtype));
    Tensor a = random_integers({23, 37}, dtype, 1);
    Tensor b = random_integers({37, 19}, dtype, 2);
    std::vector<int64_t> got =
        matmul(a.to(kGpu), b.to(kGpu)).to(kCPU).to(kInt64).to_vector<int64_t>();
    EXPECT_EQ(got, wrapped_product(a, b, dtype));
  }
}

TEST(VulkanIntegerMatmul, EmptySumsAreZero) {
  REQUIRE_GPU();
  for (DType dtype : kIntegerDtypes) {
    SCOPED_TRACE(dtype_name(dtype));
    Tensor got = matmul(empty({3, 0}, dtype, kGpu), empty({0, 5}, dtype, kGpu));
    EXPECT_EQ(got.to(kCPU).to(kInt64).to_vector<int64_t>(), std::vector<int64_t>(15, 0));
  }
}

TEST(VulkanIntegerMatmul, RefusesMixedDtypes) {
  REQUIRE_GPU();
  Tensor a = random_integers({3, 4}, kInt32, 1).to(kGpu);
  Tensor b = random_integers({4, 2}, kInt64, 2).to(kGpu);
  Tensor out = empty({1, 3, 2}, kInt32, kGpu);
  expect_error([&] { backend_for(kGpu).matmul(a.unsqueeze(0), b.unsqueeze(0), out); }, "matmul",
               "expects operands of the output's dtype int32, got int32 and int64");
}

}  // namespace
}  // namespace ember::test
