// The Vulkan embedding backward, index_add along a dim with nothing before it: tokens
// bucketed by index on the device and each bucket summed in token order, so the
// gradient equals the CPU's bit for bit and itself run after run.
#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "core/backend.h"
#include "vulkan_test_util.h"

namespace ember::test {
namespace {

// Every index in [0, rows), shuffled, with `repeats` extra copies of `repeated`.
std::vector<int64_t> shuffled_indices(int64_t tokens, int64_t rows, int64_t repeated = 0,
                                      int64_t repeats = 0, uint32_t seed = 7) {
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int64_t> row(0, rows - 1);
  std::vector<int64_t> values(static_cast<size_t>(tokens));
  for (int64_t& v : values) v = row(gen);
  values.insert(values.end(), static_cast<size_t>(repeats), repeated);
  std::shuffle(values.begin(), values.end(), gen);
  return values;
}

// The embedding's weight gradient for the output gradient `grad` on `device`.
Tensor embedding_grad(const std::vector<int64_t>& indices, int64_t rows, const Tensor& grad,
                      const Device& device) {
  Tensor weight = zeros({rows, grad.size(1)}, kFloat32, device).requires_grad_(true);
  Tensor idx = from_vector(indices).to(device);
  embedding(weight, idx).backward(grad.to(device));
  return weight.grad();
}

// out [rows, inner] summed per index in float64.
std::vector<double> reference_sums(const std::vector<int64_t>& indices, int64_t rows,
                                   const Tensor& src) {
  int64_t inner = src.size(1);
  std::vector<double> values = values_of(src), sums(static_cast<size_t>(rows * inner), 0.0);
  for (size_t t = 0; t < indices.size(); ++t) {
    for (int64_t c = 0; c < inner; ++c) {
      sums[static_cast<size_t>(indices[t] * inner + c)] += values[t * inner + c];
    }
  }
  return sums;
}

// Vulkan's gradient equals the CPU's bit for bit and the float64 sums within
// `tolerance`; a second run repeats it exactly.
void expect_cpu_gradient(const std::vector<int64_t>& indices, int64_t rows, int64_t inner,
                         double tolerance) {
  Tensor grad = random_tensor({static_cast<int64_t>(indices.size()), inner}, kFloat32, 3);
  std::vector<float> cpu = embedding_grad(indices, rows, grad, kCPU).to_vector<float>();
  Tensor gpu = embedding_grad(indices, rows, grad, kGpu);
  ASSERT_EQ(gpu.device(), kGpu);
  EXPECT_EQ(gpu.to_vector<float>(), cpu);
  EXPECT_EQ(embedding_grad(indices, rows, grad, kGpu).to_vector<float>(), cpu);
  EXPECT_NMSE_BELOW(gpu, reference_sums(indices, rows, grad), tolerance);
}

// float32 sums of n terms err by at most n * 2^-24 relatively, so their normalised error
// stays below (n * 6e-8)^2: 1e-10 covers runs of up to 100 terms.
constexpr double kShortRuns = 1e-10;

TEST(VulkanEmbedding, OddSizesWithRepeatsInRandomOrder) {
  REQUIRE_GPU();
  expect_cpu_gradient(shuffled_indices(7 * 131, 1000), 1000, 67, kShortRuns);
}

TEST(VulkanEmbedding, ThreeRowsOfOneColumn) {
  REQUIRE_GPU();
  expect_cpu_gradient(shuffled_indices(61, 3), 3, 1, kShortRuns);
}

TEST(VulkanEmbedding, AllIndicesDistinct) {
  REQUIRE_GPU();
  std::vector<int64_t> indices(1000);
  for (size_t i = 0; i < indices.size(); ++i) indices[i] = static_cast<int64_t>(i * 337 % 1000);
  expect_cpu_gradient(indices, 1000, 67, kShortRuns);
}

TEST(VulkanEmbedding, SingleToken) {
  REQUIRE_GPU();
  expect_cpu_gradient({4}, 5, 7, kShortRuns);
}

// Runs of 40,000 and 70,000 tokens go past a shader loop's 32,768 steps, into a second
// and a third launch; float32 sums of that many terms stay within (7e4 * 6e-8)^2 < 2e-5.
TEST(VulkanEmbedding, RunsLongerThanALoopCarryOnInOrder) {
  REQUIRE_GPU();
  expect_cpu_gradient(shuffled_indices(5000, 50, 17, 40000), 50, 3, 2e-5);
  expect_cpu_gradient(std::vector<int64_t>(70000, 2), 5, 2, 2e-5);
}

// index_add through the public op: a dim with only size-1 dims before it, a
// non-contiguous src, and alpha.
TEST(VulkanEmbedding, IndexAddWithAlphaMatchesTheCpu) {
  REQUIRE_GPU();
  std::vector<int64_t> indices = shuffled_indices(333, 41);
  Tensor x = random_tensor({1, 41, 9}, kFloat32, 5);
  Tensor src = random_tensor({1, 333, 9}, kFloat32, 6);
  Tensor index = from_vector(indices);
  std::vector<float> cpu = index_add(x, 1, index, non_contiguous(src), 0.5).to_vector<float>();
  Tensor gpu = index_add(x.to(kGpu), 1, index.to(kGpu), non_contiguous(src.to(kGpu)), 0.5);
  EXPECT_EQ(gpu.to_vector<float>(), cpu);
  std::vector<double> want = reference_sums(indices, 41, src.reshape({333, 9}) * 0.5);
  std::vector<double> base = values_of(x);
  for (size_t i = 0; i < want.size(); ++i) want[i] += base[i];
  EXPECT_NMSE_BELOW(gpu, want, kShortRuns);
}

// 16-bit out through the primitive: each bucket summed in float32 and rounded once, as the
// CPU does. Rounding to 16 bits errs by 2^-9 (bfloat16) or 2^-12 (float16) relatively, so
// the normalised error stays below 1e-5 and 1e-6.
TEST(VulkanEmbedding, SixteenBitPrimitiveMatchesTheCpu) {
  REQUIRE_GPU();
  std::vector<int64_t> indices = shuffled_indices(517, 23);
  for (auto [dtype, tolerance] : {std::pair{kFloat16, 1e-6}, std::pair{kBFloat16, 1e-5}}) {
    Tensor base = random_tensor({23, 13}, dtype, 8);
    Tensor src = random_tensor({517, 13}, dtype, 9);
    Tensor index = from_vector(indices);
    Tensor cpu = base.clone();
    backend_for(kCPU).index_add(cpu, 0, index, src);
    Tensor gpu = base.to(kGpu);
    backend_for(kGpu).index_add(gpu, 0, index.to(kGpu), src.to(kGpu));
    EXPECT_EQ(gpu.to_vector<float>(), cpu.to_vector<float>()) << dtype_name(dtype);
    std::vector<double> want = reference_sums(indices, 23, src);
    std::vector<double> start = values_of(base);
    for (size_t i = 0; i < want.size(); ++i) want[i] += start[i];
    EXPECT_NMSE_BELOW(gpu, want, tolerance);
  }
}

// A bad index is reported by the sort under the user's op, as the CPU words it, at the
// next read of the result.
TEST(VulkanEmbedding, OutOfRangeIndicesRaiseTheCpusError) {
  REQUIRE_GPU();
  for (int64_t bad : {int64_t{41}, int64_t{-1}, int64_t{70000}}) {
    std::vector<int64_t> indices = shuffled_indices(600, 41);
    indices[123] = bad;
    Tensor x = random_tensor({41, 5});
    Tensor src = random_tensor({600, 5});
    Tensor index = from_vector(indices);
    std::string cpu;
    try {
      index_add(x, 0, index, src);
    } catch (const Error& e) {
      cpu = e.what();
    }
    ASSERT_NE(cpu, "");
    Tensor gpu = index_add(x.to(kGpu), 0, index.to(kGpu), src.to(kGpu));
    expect_error([&] { gpu.to(kCPU); }, "index_add", cpu);
  }
}

// The first wait raises the lookup's error under the user's op; the gradient, from a
// backward that checks the indices again, then raises that check's error.
TEST(VulkanEmbedding, BackwardOfABadIndexRaisesAtTheGradient) {
  REQUIRE_GPU();
  Tensor weight = random_tensor({1000, 64}).to(kGpu).requires_grad_(true);
  std::vector<int64_t> indices = shuffled_indices(256, 1000);
  indices[77] = 70000;
  Tensor out = embedding(weight, from_vector(indices).reshape({8, 32}).to(kGpu));
  out.sum().backward();
  expect_error([&] { weight.grad().to(kCPU); }, "embedding",
               "[embedding] index 70000 is out of range for dimension 0 with size 1000; weight "
               "[1000,64], indices [8,32]");
  expect_error([&] { weight.grad().to(kCPU); }, "index_add",
               "[index_add] index 70000 is out of range for dimension 0 with size 1000; input "
               "[1000,64], index [256]");
}

}  // namespace
}  // namespace ember::test
