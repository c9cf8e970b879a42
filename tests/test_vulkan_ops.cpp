// The backend-ops harness: every primitive on vulkan:0 against a float64 CPU reference,
// with random non-zero inputs, poisoned outputs (EMBER_POISON_MEMORY=1), non-contiguous
// and broadcast inputs and sizes that are not multiples of the workgroup size.
#include <set>

#include "backend/vulkan/vulkan_backend.h"
#include "test_util.h"

namespace ember::test {
namespace {

using Inputs = std::vector<Tensor>;
using Op = std::function<Tensor(const Inputs&)>;

// vulkan:0, or a skipped test when this machine has none (CI sets EMBER_REQUIRE_VULKAN=1,
// which turns a missing device into a failure).
bool have_gpu() {
  static const bool present = available_devices().size() > 1;
  return present;
}

#define REQUIRE_GPU()                                                              \
  do {                                                                             \
    if (!have_gpu()) {                                                             \
      if (std::getenv("EMBER_REQUIRE_VULKAN") != nullptr) FAIL() << "no vulkan:0"; \
      GTEST_SKIP() << "no Vulkan device";                                          \
    }                                                                              \
  } while (false)

const Device kGpu("vulkan:0");

// Runs op on float64 CPU inputs and on float32 (or `dtype`) copies on the GPU, contiguous
// and as strided views, and compares.
void expect_matches_cpu(const Op& op, const std::vector<Shape>& shapes, double tolerance,
                        DType dtype = kFloat32, uint32_t seed = 7) {
  Inputs cpu, gpu, gpu_strided;
  for (size_t i = 0; i < shapes.size(); ++i) {
    Tensor x = random_tensor(shapes[i], kFloat64, seed + static_cast<uint32_t>(i));
    cpu.push_back(x);
    gpu.push_back(x.to(dtype).to(kGpu));
    gpu_strided.push_back(non_contiguous(gpu.back()));
  }
  std::vector<double> want = values_of(op(cpu));
  for (const Inputs* inputs : {&gpu, &gpu_strided}) {
    SCOPED_TRACE(inputs == &gpu ? "contiguous inputs" : "strided inputs");
    Tensor got = op(*inputs);
    ASSERT_EQ(got.device(), kGpu);
    EXPECT_NMSE_BELOW(got, want, tolerance);
  }
}

TEST(VulkanOps, CopiesBetweenDevicesAndDtypes) {
  REQUIRE_GPU();
  Tensor x = random_tensor({37, 19}, kFloat32) * 100;
  for (DType dtype : {kFloat32, kFloat16, kBFloat16, kInt32, kInt64, kUInt8, kBool}) {
    Tensor want = x.to(dtype);
    Tensor got = x.to(kGpu).to(dtype);
    EXPECT_EQ(got.dtype(), dtype);
    EXPECT_EQ(values_of(got.to(kCPU)), values_of(want)) << dtype_name(dtype);
    // And back from each dtype to float32 on the GPU.
    EXPECT_EQ(values_of(want.to(kGpu).to(kFloat32)), values_of(want.to(kFloat32)))
        << dtype_name(dtype);
  }
}

TEST(VulkanOps, CopyIntoViewsKeepsTheRest) {
  REQUIRE_GPU();
  Tensor base_cpu = random_tensor({8, 10, 6});
  Tensor base = base_cpu.to(kGpu);
  Tensor src = random_tensor({10, 8}, kFloat32, 3);
  base.select(2, 1).t().copy_(src.to(kGpu));
  base_cpu.select(2, 1).t().copy_(src);
  EXPECT_EQ(values_of(base), values_of(base_cpu));
}

TEST(VulkanOps, FillsEveryDtypeAndViews) {
  REQUIRE_GPU();
  for (DType dtype : {kFloat32, kFloat16, kBFloat16, kInt32, kInt64, kUInt8, kBool}) {
    Tensor t = full({3, 333}, 7, dtype, kGpu);
    EXPECT_EQ(values_of(t), std::vector<double>(999, dtype == kBool ? 1 : 7)) << dtype_name(dtype);
  }
  Tensor big = full({5, 8}, int64_t{-(int64_t{1} << 40)}, kInt64, kGpu);
  EXPECT_EQ(big.to_vector<int64_t>(), std::vector<int64_t>(40, -(int64_t{1} << 40)));
  Tensor m = zeros({6, 7}, kFloat32, kGpu);
  m.slice(1, 1, 7, 3).fill_(2.5);
  Tensor want = zeros({6, 7});
  want.slice(1, 1, 7, 3).fill_(2.5);
  EXPECT_EQ(values_of(m), values_of(want));
}

TEST(VulkanOps, LaunchesOfMoreThan65535Workgroups) {
  REQUIRE_GPU();
  int64_t n = int64_t{65535} * 256 + 1000;  // needs a second row of workgroups
  Tensor t = full({n}, 3.0f, kFloat32, kGpu);
  Tensor tail = t.slice(0, n - 5, n).to(kCPU);
  EXPECT_EQ(values_of(tail), std::vector<double>(5, 3.0));
  EXPECT_EQ(t.sum().item<double>(), 3.0 * static_cast<double>(n));
}

struct UnaryCase {
  const char* name;
  Tensor (*f)(const Tensor&);
  double tolerance;
};

TEST(VulkanOps, UnaryOpsMatchFloat64) {
  REQUIRE_GPU();
  const UnaryCase cases[] = {
      {"neg", ember::neg, 1e-12},
      {"abs", ember::abs, 1e-12},
      {"exp", ember::exp, 1e-11},
      {"log", [](const Tensor& x) { return log(abs(x)); }, 1e-11},
      {"log1p", [](const Tensor& x) { return log1p(abs(x)); }, 1e-11},
      {"expm1", ember::expm1, 1e-11},
      {"sqrt", [](const Tensor& x) { return sqrt(abs(x)); }, 1e-12},
      {"rsqrt", [](const Tensor& x) { return rsqrt(abs(x)); }, 1e-11},
      {"sin", ember::sin, 1e-9},
      {"cos", ember::cos, 1e-9},
      {"tanh", ember::tanh, 1e-11},
      {"sigmoid", ember::sigmoid, 1e-11},
      {"relu", ember::relu, 1e-12},
      {"gelu", [](const Tensor& x) { return gelu(x); }, 1e-11},
      {"gelu_tanh", [](const Tensor& x) { return gelu(x, "tanh"); }, 1e-11},
      {"silu", ember::silu, 1e-11},
      {"softplus", ember::softplus, 1e-11},
      {"erf", ember::erf, 1e-11},
      {"floor", [](const Tensor& x) { return floor(x * 3); }, 1e-12},
      {"ceil", [](const Tensor& x) { return ceil(x * 3); }, 1e-12},
      {"round", [](const Tensor& x) { return round(x * 3); }, 1e-12},
      {"sign", ember::sign, 1e-12},
      {"reciprocal", ember::reciprocal, 1e-12},
  };
  for (const UnaryCase& c : cases) {
    SCOPED_TRACE(c.name);
    expect_matches_cpu([&](const Inputs& x) { return c.f(x[0]); }, {{7, 300}}, c.tolerance);
  }
}

TEST(VulkanOps, PredicatesAndIntegerUnaryOps) {
  REQUIRE_GPU();
  Tensor x = from_vector<float>({1.5f, -0.0f, NAN, INFINITY, -INFINITY, 2}).to(kGpu);
  EXPECT_EQ(values_of(isnan(x)), (std::vector<double>{0, 0, 1, 0, 0, 0}));
  EXPECT_EQ(values_of(isinf(x)), (std::vector<double>{0, 0, 0, 1, 1, 0}));
  EXPECT_EQ(values_of(logical_not(x)), (std::vector<double>{0, 1, 0, 0, 0, 0}));
  Tensor i = from_vector<int64_t>({-3, 0, 5, -(int64_t{1} << 40)}).to(kGpu);
  EXPECT_EQ(abs(i).to_vector<int64_t>(), (std::vector<int64_t>{3, 0, 5, int64_t{1} << 40}));
  EXPECT_EQ(neg(i).to_vector<int64_t>(), (std::vector<int64_t>{3, 0, -5, int64_t{1} << 40}));
  EXPECT_EQ(sign(i).to_vector<int64_t>(), (std::vector<int64_t>{-1, 0, 1, -1}));
  EXPECT_EQ(relu(i.to(kInt32)).to_vector<int32_t>(), (std::vector<int32_t>{0, 0, 5, 0}));
}

TEST(VulkanOps, ClampKeepsNaN) {
  REQUIRE_GPU();
  expect_matches_cpu([](const Inputs& x) { return clamp(x[0], -1.0, 1.5); }, {{33, 17}}, 1e-12);
  Tensor x = from_vector<float>({NAN, -5, 5}).to(kGpu);
  std::vector<double> got = values_of(clamp(x, -1.0, 1.0));
  EXPECT_TRUE(std::isnan(got[0]));
  EXPECT_EQ(got[1], -1);
  EXPECT_EQ(got[2], 1);
}

}  // namespace
}  // namespace ember::test
