// float16 and bfloat16 matmul, Adam step and random numbers computed on vulkan:0 in the
// tensors' own dtype, against the CPU and float64. ctest also runs this binary with
// EMBER_VULKAN_NO_16BIT_STORAGE=1, where the 32-bit-word shader variants do the work.
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "core/backend.h"
#include "vulkan_test_util.h"

namespace ember::test {
namespace {

constexpr DType kHalfDtypes[] = {kFloat16, kBFloat16};

// The squared unit roundoff of a 16-bit dtype: one rounding of each element to it leaves
// a normalised squared error below this (float16 keeps 11 significant bits, bfloat16 8).
double rounding_nmse(DType dtype) { return dtype == kFloat16 ? 0x1p-22 : 0x1p-16; }

std::vector<uint16_t> bits_of(const Tensor& t) {
  Tensor host = t.to(kCPU).contiguous();
  std::vector<uint16_t> bits(static_cast<size_t>(host.numel()));
  const void* data = host.dtype() == kFloat16 ? static_cast<const void*>(host.data_ptr<Half>())
                                              : host.data_ptr<BFloat16>();
  std::memcpy(bits.data(), data, bits.size() * sizeof(uint16_t));
  return bits;
}

struct MatmulCase {
  std::string name;
  Shape a_shape, b_shape;
  bool transpose_a = false, transpose_b = false;
};

// The operand of `shape`, or its transpose's transpose (column-major data) if `transposed`.
Tensor operand(Shape shape, bool transposed, DType dtype, uint32_t seed) {
  if (!transposed) return random_tensor(shape, dtype, seed);
  std::swap(shape[shape.size() - 1], shape[shape.size() - 2]);
  return random_tensor(shape, dtype, seed).transpose(-1, -2);
}

// Sizes that are not multiples of the 64 x 64 x 16 tiles, more than one tile along each
// side, transposed operands, broadcast batches, and one product large enough for the
// 128 x 128 x 8 tiles.
const std::vector<MatmulCase>& matmul_cases() {
  static const std::vector<MatmulCase> cases = {
      {"1x1x1", {1, 1}, {1, 1}},
      {"37x19x53", {37, 19}, {19, 53}},
      {"130x67x71", {130, 67}, {67, 71}},
      {"a transposed", {70, 33}, {33, 65}, true, false},
      {"b transposed", {65, 41}, {41, 129}, false, true},
      {"both transposed", {66, 17}, {17, 67}, true, true},
      {"broadcast batches", {2, 1, 17, 29}, {3, 29, 70}},
      {"batched, b transposed", {3, 33, 21}, {3, 21, 9}, false, true},
      {"large tiles", {2048, 9}, {9, 2048}},
  };
  return cases;
}

TEST(VulkanHalf, MatmulMatchesFloat64AndTheCpu) {
  REQUIRE_GPU();
  for (DType dtype : kHalfDtypes) {
    uint32_t seed = 11;
    for (const MatmulCase& c : matmul_cases()) {
      SCOPED_TRACE(std::string(dtype_name(dtype)) + " " + c.name);
      Tensor a = operand(c.a_shape, c.transpose_a, dtype, seed++);
      Tensor b = operand(c.b_shape, c.transpose_b, dtype, seed++);
      Tensor got = matmul(a.to(kGpu), b.to(kGpu));
      ASSERT_EQ(got.device(), kGpu);
      ASSERT_EQ(got.dtype(), dtype);
      // The sums are float32's, whose error is far below one 16-bit rounding.
      std::vector<double> want = values_of(matmul(a.to(kFloat64), b.to(kFloat64)));
      EXPECT_NMSE_BELOW(got, want, rounding_nmse(dtype));
      // The CPU rounds its own float32 sums once; their last bits may differ from these.
      EXPECT_NMSE_BELOW(got, values_of(matmul(a, b)), rounding_nmse(dtype));
      // The float32 kernel adds in the same order, so rounding its result gives these bits.
      Tensor float32 = matmul(a.to(kGpu).to(kFloat32), b.to(kGpu).to(kFloat32));
      EXPECT_EQ(bits_of(got), bits_of(float32.to(dtype)));
    }
  }
}

TEST(VulkanHalf, MatmulRefusesMixedDtypes) {
  REQUIRE_GPU();
  Tensor a = random_tensor({5, 3}, kFloat16).to(kGpu);
  Tensor b = random_tensor({3, 4}, kBFloat16).to(kGpu);
  Tensor out = empty({1, 5, 4}, kFloat16, kGpu);
  expect_error([&] { backend_for(kGpu).matmul(a.unsqueeze(0), b.unsqueeze(0), out); }, "matmul",
               "expects operands of the output's dtype float16, got float16 and bfloat16");
}

// One parameter's tensors on the host: param and grad random non-zero, exp_avg and
// exp_avg_sq as after some steps (exp_avg_sq positive).
AdamTensors adam_tensors(int64_t n, DType dtype, uint32_t seed) {
  Tensor v = random_tensor({n}, kFloat64, seed + 3);
  return {random_tensor({n}, dtype, seed), random_tensor({n}, dtype, seed + 1),
          (random_tensor({n}, kFloat64, seed + 2) * 0.1).to(dtype), (v * v * 0.01).to(dtype)};
}

AdamTensors in_float64(const AdamTensors& t) {
  return {t.param.to(kFloat64), t.grad.to(kFloat64), t.exp_avg.to(kFloat64),
          t.exp_avg_sq.to(kFloat64)};
}

// Copies on vulkan:0, every other parameter's at storage offset 1, which puts 16-bit
// elements in the upper half of a 32-bit word first.
std::vector<AdamTensors> on_gpu(const std::vector<AdamTensors>& host) {
  std::vector<AdamTensors> gpu;
  for (size_t i = 0; i < host.size(); ++i) {
    int64_t offset = static_cast<int64_t>(i % 2);
    auto copy = [&](const Tensor& x) {
      Tensor view = zeros({x.numel() + offset}, x.dtype(), kGpu).narrow(0, offset, x.numel());
      view.copy_(x.to(kGpu));
      return view;
    };
    const AdamTensors& t = host[i];
    gpu.push_back({copy(t.param), copy(t.grad), copy(t.exp_avg), copy(t.exp_avg_sq)});
  }
  return gpu;
}

void expect_adam_matches(const std::vector<AdamTensors>& host, const AdamStep& step) {
  std::vector<AdamTensors> reference, gpu = on_gpu(host);
  for (const AdamTensors& t : host) reference.push_back(in_float64(t));
  backend_for(kCPU).adam_step(reference, step);
  backend_for(kGpu).adam_step(gpu, step);
  for (size_t i = 0; i < host.size(); ++i) {
    DType dtype = host[i].param.dtype();
    SCOPED_TRACE(std::string(dtype_name(dtype)) + " parameter " + std::to_string(i));
    ASSERT_EQ(gpu[i].param.dtype(), dtype);
    double tolerance = dtype == kFloat32 ? 1e-12 : rounding_nmse(dtype);
    EXPECT_NMSE_BELOW(gpu[i].param, values_of(reference[i].param), tolerance);
    EXPECT_NMSE_BELOW(gpu[i].exp_avg, values_of(reference[i].exp_avg), tolerance);
    EXPECT_NMSE_BELOW(gpu[i].exp_avg_sq, values_of(reference[i].exp_avg_sq), tolerance);
  }
}

TEST(VulkanHalf, AdamStepMatchesFloat64) {
  REQUIRE_GPU();
  for (DType dtype : kHalfDtypes) {
    for (bool decoupled : {false, true}) {
      SCOPED_TRACE(decoupled ? "AdamW" : "Adam");
      // Nine parameters of odd sizes: two dispatches of at most seven.
      std::vector<AdamTensors> host;
      uint32_t seed = 5;
      for (int64_t n : {1, 257, 1000, 3, 64, 511, 2, 77, 1025}) {
        host.push_back(adam_tensors(n, dtype, seed));
        seed += 4;
      }
      AdamStep step{0.01, 0.9, 0.999, 1e-8, 0.05, decoupled, 3};
      expect_adam_matches(host, step);
    }
  }
}

TEST(VulkanHalf, AdamStepTakesGroupsOfMixedDtypes) {
  REQUIRE_GPU();
  std::vector<AdamTensors> host = {adam_tensors(33, kFloat32, 1), adam_tensors(65, kFloat16, 5),
                                   adam_tensors(17, kBFloat16, 9), adam_tensors(9, kFloat32, 13)};
  expect_adam_matches(host, AdamStep{0.001, 0.8, 0.99, 1e-6, 0.0, false, 1});
}

TEST(VulkanHalf, AdamStepRefusesStatesOfAnotherDtype) {
  REQUIRE_GPU();
  std::vector<AdamTensors> group = on_gpu({adam_tensors(5, kFloat16, 1)});
  group[0].exp_avg = group[0].exp_avg.to(kFloat32);
  expect_error(
      [&] {
        backend_for(kGpu).adam_step(group, AdamStep{0.1, 0.9, 0.99, 1e-8, 0, false, 1});
      },
      "adam_step",
      "expects grad, exp_avg and exp_avg_sq of the parameter's dtype float16, got "
      "float16, float32 and float16");
}

// Random numbers into an output at an odd storage offset (an element in the upper half
// of a word first), on the CPU and on vulkan:0.
std::pair<Tensor, Tensor> random_on_both(Distribution distribution, double a, double b, int64_t n,
                                         DType dtype) {
  Tensor cpu = empty({n}, dtype);
  Tensor gpu = empty({n + 1}, dtype, kGpu).narrow(0, 1, n);
  backend_for(kCPU).random(distribution, 42, 1000, a, b, cpu);
  backend_for(kGpu).random(distribution, 42, 1000, a, b, gpu);
  return {cpu, gpu};
}

TEST(VulkanHalf, UniformNumbersAreTheCpusBits) {
  REQUIRE_GPU();
  for (DType dtype : kHalfDtypes) {
    // [0, 1) and [-3, 5): float32 values within half a 16-bit step of b would round up to
    // it; 100,003 numbers give dozens of them, which must stay below b.
    for (auto [low, high] : {std::pair{0.0, 1.0}, std::pair{-3.0, 5.0}}) {
      for (int64_t n : {1, 7, 1001, 100003}) {
        SCOPED_TRACE(std::string(dtype_name(dtype)) + " [" + std::to_string(low) + ", " +
                     std::to_string(high) + ") n=" + std::to_string(n));
        auto [cpu, gpu] = random_on_both(Distribution::Uniform, low, high, n, dtype);
        EXPECT_EQ(bits_of(gpu), bits_of(cpu));
        std::vector<double> values = values_of(gpu);
        EXPECT_LT(*std::max_element(values.begin(), values.end()), high);
        EXPECT_GE(*std::min_element(values.begin(), values.end()), low);
      }
    }
  }
}

// Integers rounded to float32 and then to 16 bits: exact ones, and ranges wider than the
// dtype holds, where both devices must round the same way.
TEST(VulkanHalf, IntegerNumbersAreTheCpusBits) {
  REQUIRE_GPU();
  for (DType dtype : kHalfDtypes) {
    for (auto [low, high] : {std::pair{0.0, 10.0}, std::pair{-2048.0, 2049.0},
                             std::pair{-60000.0, 60000.0}, std::pair{-0x1p30, 0x1p30}}) {
      if (dtype == kFloat16 && high > 60000) continue;  // beyond float16's finite values
      for (int64_t n : {1, 7, 1001, 100003}) {
        SCOPED_TRACE(std::string(dtype_name(dtype)) + " [" + std::to_string(low) + ", " +
                     std::to_string(high) + ") n=" + std::to_string(n));
        auto [cpu, gpu] = random_on_both(Distribution::Integer, low, high, n, dtype);
        EXPECT_EQ(bits_of(gpu), bits_of(cpu));
      }
    }
  }
}

TEST(VulkanHalf, NormalNumbersAreTheCpusRounded) {
  REQUIRE_GPU();
  for (DType dtype : kHalfDtypes) {
    for (int64_t n : {1, 7, 1001, 100003}) {
      SCOPED_TRACE(std::string(dtype_name(dtype)) + " n=" + std::to_string(n));
      auto [cpu, gpu] = random_on_both(Distribution::Normal, 0.5, 2.0, n, dtype);
      // log, sqrt, cos and sin may differ from the CPU's in float32's last bits, which
      // moves a value by at most one 16-bit step where it lies near a rounding boundary.
      EXPECT_NMSE_BELOW(gpu, values_of(cpu), rounding_nmse(dtype));
      std::vector<uint16_t> g = bits_of(gpu), c = bits_of(cpu);
      size_t same = 0;
      for (size_t i = 0; i < g.size(); ++i) same += g[i] == c[i] ? 1 : 0;
      EXPECT_GE(static_cast<double>(same), 0.99 * static_cast<double>(g.size()));
    }
  }
}

TEST(VulkanHalf, RandGivesTheCpusNumbers) {
  REQUIRE_GPU();
  for (DType dtype : kHalfDtypes) {
    SCOPED_TRACE(dtype_name(dtype));
    manual_seed(7);
    Tensor want = rand({513}, dtype);
    manual_seed(7);
    Tensor got = rand({513}, dtype, kGpu);
    ASSERT_EQ(got.dtype(), dtype);
    EXPECT_EQ(bits_of(got), bits_of(want));
  }
}

}  // namespace
}  // namespace ember::test
