// The workgroup reductions (shaders/workgroup_reduce.glsl) behind reduce, softmax, layer
// norm and cross-entropy on vulkan:0, against a float64 CPU reference: rows that are not
// multiples of the subgroup or the workgroup, NaN and infinities, and argmax ties. ctest
// runs this file twice, once with subgroup arithmetic (where the device has it) and once
// with EMBER_VULKAN_NO_SUBGROUPS=1, which forces the shared-memory tree.
//
// Tolerances: float32 sums of at most 4099 values of magnitude <= 2 err by at most a few
// hundred ulps (2^-24 each) relative to the sum, so a normalised squared error of 1e-10
// leaves room; max, min and the arg reductions are exact.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "backend/vulkan/vulkan_backend.h"
#include "vulkan_test_util.h"

namespace ember::test {
namespace {

// 1 and 7 fill part of one subgroup, 255 and 257 straddle the workgroup of 256, 4099 is
// prime and spans 17 strides of it.
const int64_t kRowLengths[] = {1, 7, 255, 257, 1000, 4099};
constexpr int64_t kRows = 3;

bool subgroups_forced_off() {
  const char* value = std::getenv("EMBER_VULKAN_NO_SUBGROUPS");
  return value != nullptr && std::strcmp(value, "1") == 0;
}

// The float32 values the device sees, in float64 for the reference.
Tensor as_float32(const Tensor& x) { return x.to(kFloat32).to(kFloat64); }

// Rows of cols values in [-2, -0.5] U [0.5, 2], as float64 (the reference) and on vulkan:0.
struct Rows {
  explicit Rows(int64_t cols, uint32_t seed = 3)
      : cpu(as_float32(random_tensor({kRows, cols}, kFloat64, seed))),
        gpu(cpu.to(kFloat32).to(kGpu)) {}
  Tensor cpu, gpu;
};

TEST(VulkanReduce, RunsThePathTheEnvironmentAsks) {
  REQUIRE_GPU();
  const vulkan::DeviceFeatures& features = vulkan::backend(0).context().features();
  if (subgroups_forced_off()) {
    EXPECT_FALSE(features.subgroup_arithmetic());
  } else {
    ::testing::Test::RecordProperty("subgroup_arithmetic", features.subgroup_arithmetic());
    EXPECT_EQ(features.subgroup_arithmetic(),
              features.subgroup_has(VK_SUBGROUP_FEATURE_ARITHMETIC_BIT));
  }
}

TEST(VulkanReduce, RowsOfEveryLengthMatchFloat64) {
  REQUIRE_GPU();
  for (int64_t cols : kRowLengths) {
    SCOPED_TRACE(cols);
    Rows x(cols);
    EXPECT_NMSE_BELOW(sum(x.gpu, 1), values_of(sum(x.cpu, 1)), 1e-10);
    EXPECT_NMSE_BELOW(mean(x.gpu, 1), values_of(mean(x.cpu, 1)), 1e-10);
    // Near 1, so that a product of 4099 factors stays finite: float32 relative error
    // grows with the number of factors, about 1e-4 at most here.
    EXPECT_NMSE_BELOW(prod(x.gpu * 0.01 + 1, 1), values_of(prod(x.cpu * 0.01 + 1, 1)), 1e-8);
    EXPECT_NMSE_BELOW(amax(x.gpu, 1), values_of(amax(x.cpu, 1)), 0.0);
    EXPECT_NMSE_BELOW(amin(x.gpu, 1), values_of(amin(x.cpu, 1)), 0.0);
    EXPECT_EQ(values_of(argmax(x.gpu, 1)), values_of(argmax(x.cpu, 1)));
    EXPECT_EQ(values_of(argmin(x.gpu, 1)), values_of(argmin(x.cpu, 1)));
  }
}

TEST(VulkanReduce, IntegerRowsAreExact) {
  REQUIRE_GPU();
  for (int64_t cols : kRowLengths) {
    SCOPED_TRACE(cols);
    Tensor x = (random_tensor({kRows, cols}, kFloat64, 5) * 1000).to(kInt64);
    Tensor g = x.to(kGpu);
    EXPECT_EQ(sum(g, 1).to_vector<int64_t>(), sum(x, 1).to_vector<int64_t>());
    EXPECT_EQ(amax(g, 1).to_vector<int64_t>(), amax(x, 1).to_vector<int64_t>());
    EXPECT_EQ(amin(g, 1).to_vector<int64_t>(), amin(x, 1).to_vector<int64_t>());
    EXPECT_EQ(argmax(g, 1).to_vector<int64_t>(), argmax(x, 1).to_vector<int64_t>());
    EXPECT_EQ(argmin(g, 1).to_vector<int64_t>(), argmin(x, 1).to_vector<int64_t>());
  }
}

// Row 0 holds a NaN, row 1 +inf, row 2 both infinities; NaN propagates through sums,
// max and min, and the arg reductions take the first NaN as the extreme.
TEST(VulkanReduce, NaNAndInfinitiesAsTheCpu) {
  REQUIRE_GPU();
  const double inf = std::numeric_limits<double>::infinity();
  for (int64_t cols : {7, 255, 257, 1000, 4099}) {
    SCOPED_TRACE(cols);
    Tensor x = as_float32(random_tensor({kRows, cols}, kFloat64, 9));
    x.select(0, 0).select(0, cols / 2).fill_(NAN);
    x.select(0, 0).select(0, cols - 1).fill_(NAN);
    x.select(0, 1).select(0, cols - 2).fill_(inf);
    x.select(0, 2).select(0, 1).fill_(-inf);
    x.select(0, 2).select(0, cols - 3).fill_(inf);
    Tensor g = x.to(kFloat32).to(kGpu);
    EXPECT_NMSE_BELOW(sum(g, 1), values_of(sum(x, 1)), 0.0);
    EXPECT_NMSE_BELOW(amax(g, 1), values_of(amax(x, 1)), 0.0);
    EXPECT_NMSE_BELOW(amin(g, 1), values_of(amin(x, 1)), 0.0);
    EXPECT_EQ(values_of(argmax(g, 1)), values_of(argmax(x, 1)));
    EXPECT_EQ(values_of(argmin(g, 1)), values_of(argmin(x, 1)));
  }
}

// The extreme repeated across subgroups and workgroup strides: the first index wins.
TEST(VulkanReduce, ArgTiesTakeTheFirstIndex) {
  REQUIRE_GPU();
  const double inf = std::numeric_limits<double>::infinity();
  for (int64_t cols : kRowLengths) {
    SCOPED_TRACE(cols);
    Tensor x = as_float32(random_tensor({4, cols}, kFloat64, 13));
    for (int64_t at : {cols - 1, cols / 2, std::min<int64_t>(cols - 1, 5)}) {
      x.select(0, 0).select(0, at).fill_(3.0);
      x.select(0, 1).select(0, at).fill_(-3.0);
    }
    x.select(0, 2).fill_(-inf);  // every value the identity of argmax
    x.select(0, 3).fill_(1.5);
    Tensor g = x.to(kFloat32).to(kGpu);
    std::vector<int64_t> first_max = argmax(x, 1).to_vector<int64_t>();
    EXPECT_EQ(first_max[0], std::min({cols - 1, cols / 2, int64_t{5}}));
    EXPECT_EQ(first_max[2], 0);
    EXPECT_EQ(first_max[3], 0);
    EXPECT_EQ(argmax(g, 1).to_vector<int64_t>(), first_max);
    EXPECT_EQ(argmin(g, 1).to_vector<int64_t>(), argmin(x, 1).to_vector<int64_t>());
  }
}

TEST(VulkanReduce, RepeatsBitForBit) {
  REQUIRE_GPU();
  Rows x(4099);
  std::vector<float> first = sum(x.gpu, 1).to_vector<float>();
  std::vector<float> soft = softmax(x.gpu, 1).to_vector<float>();
  for (int run = 0; run < 3; ++run) {
    EXPECT_EQ(sum(x.gpu, 1).to_vector<float>(), first);
    EXPECT_EQ(softmax(x.gpu, 1).to_vector<float>(), soft);
  }
}

// Tolerance as the existing softmax tests: float32 exp and a float32 sum of the row.
TEST(VulkanReduce, SoftmaxRowsOfEveryLength) {
  REQUIRE_GPU();
  for (int64_t cols : kRowLengths) {
    SCOPED_TRACE(cols);
    Rows x(cols);
    EXPECT_NMSE_BELOW(softmax(x.gpu * 3, 1), values_of(softmax(x.cpu * 3, 1)), 1e-11);
    EXPECT_NMSE_BELOW(log_softmax(x.gpu * 3, 1), values_of(log_softmax(x.cpu * 3, 1)), 1e-11);
  }
}

// -inf entries take no probability; a NaN makes its row NaN; a row of +inf is NaN too.
TEST(VulkanReduce, SoftmaxOfNonFiniteRows) {
  REQUIRE_GPU();
  const double inf = std::numeric_limits<double>::infinity();
  for (int64_t cols : {7, 257, 4099}) {
    SCOPED_TRACE(cols);
    Tensor x = random_tensor({kRows, cols}, kFloat64, 17);
    x.select(0, 0).select(0, 1).fill_(-inf);
    x.select(0, 0).select(0, cols - 1).fill_(-inf);
    x.select(0, 1).select(0, cols / 2).fill_(NAN);
    x.select(0, 2).select(0, cols - 1).fill_(inf);
    Tensor g = x.to(kFloat32).to(kGpu);
    EXPECT_NMSE_BELOW(softmax(g, 1), values_of(softmax(x, 1)), 1e-11);
    EXPECT_NMSE_BELOW(log_softmax(g, 1).select(0, 1), values_of(log_softmax(x, 1).select(0, 1)),
                      0.0);
  }
}

// Tolerances as the existing layer-norm tests: the mean and variance are float32 sums.
TEST(VulkanReduce, LayerNormRowsOfEveryLength) {
  REQUIRE_GPU();
  for (int64_t cols : kRowLengths) {
    SCOPED_TRACE(cols);
    Tensor x = random_tensor({kRows, cols}, kFloat64, 19) * 2 + 1;
    Tensor w = random_tensor({cols}, kFloat64, 20), b = random_tensor({cols}, kFloat64, 21);
    Tensor grad = random_tensor({kRows, cols}, kFloat64, 22);
    auto run = [&](const Device& device, DType dtype) {
      Tensor xi = x.to(dtype).to(device).detach().clone().requires_grad_(true);
      Tensor y =
          nn::functional::layer_norm(xi, {cols}, w.to(dtype).to(device), b.to(dtype).to(device));
      (y * grad.to(dtype).to(device)).sum().backward();
      return std::pair{y, xi.grad()};
    };
    auto [y_cpu, g_cpu] = run(kCPU, kFloat64);
    auto [y_gpu, g_gpu] = run(kGpu, kFloat32);
    EXPECT_NMSE_BELOW(y_gpu, values_of(y_cpu), 1e-10);
    if (cols == 1) {
      // One element is its own mean: the gradient is zero, and rounding leaves it so.
      for (double v : values_of(g_gpu)) EXPECT_EQ(v, 0.0);
    } else {
      EXPECT_NMSE_BELOW(g_gpu, values_of(g_cpu), 1e-9);
    }
  }
}

// Tolerances as the existing cross-entropy tests.
TEST(VulkanReduce, CrossEntropyRowsOfEveryLength) {
  REQUIRE_GPU();
  for (int64_t classes : kRowLengths) {
    SCOPED_TRACE(classes);
    Tensor target = from_vector<int64_t>({classes - 1, classes / 2, 0});
    nn::functional::CrossEntropyOptions options;
    options.label_smoothing = 0.1;
    Tensor logits = random_tensor({kRows, classes}, kFloat64, 23) * 3;
    Tensor cpu = logits.clone().requires_grad_(true);
    Tensor loss_cpu = nn::functional::cross_entropy(cpu, target, options);
    loss_cpu.backward();
    Tensor gpu = logits.to(kFloat32).to(kGpu).requires_grad_(true);
    Tensor loss_gpu = nn::functional::cross_entropy(gpu, target.to(kGpu), options);
    loss_gpu.backward();
    double want = loss_cpu.item<double>();
    if (classes == 1) {
      // A single class has probability 1: the loss and its gradient are zero.
      EXPECT_EQ(loss_gpu.item<double>(), 0.0);
    } else {
      EXPECT_NEAR(loss_gpu.item<double>(), want, 1e-5 * std::abs(want));
      EXPECT_NMSE_BELOW(gpu.grad(), values_of(cpu.grad()), 1e-10);
    }
  }
}

// A NaN logit makes its row's loss NaN, an infinite one too (inf - inf).
TEST(VulkanReduce, CrossEntropyOfNonFiniteLogits) {
  REQUIRE_GPU();
  Tensor logits = random_tensor({kRows, 257}, kFloat64, 29);
  logits.select(0, 0).select(0, 100).fill_(NAN);
  logits.select(0, 1).select(0, 3).fill_(std::numeric_limits<double>::infinity());
  Tensor target = from_vector<int64_t>({1, 2, 3});
  nn::functional::CrossEntropyOptions options;
  options.reduction = nn::functional::Reduction::None;
  Tensor want = nn::functional::cross_entropy(logits, target, options);
  Tensor got =
      nn::functional::cross_entropy(logits.to(kFloat32).to(kGpu), target.to(kGpu), options);
  std::vector<double> w = values_of(want), g = values_of(got);
  ASSERT_EQ(g.size(), 3u);
  EXPECT_TRUE(std::isnan(g[0]));
  EXPECT_EQ(std::isnan(g[1]), std::isnan(w[1]));
  EXPECT_NEAR(g[2], w[2], 1e-5 * std::abs(w[2]));
}

// float16 and bfloat16 straight into the kernels (the front end sends them where
// supports() allows): computed in float32 and rounded once on store, against float64 of
// the same 16-bit inputs. A rounding errs by at most half an ulp: 2^-11 of the value for
// float16's 10 stored bits and 2^-8 for bfloat16's 7, so the normalised squared error
// stays below 2^-22 (2.4e-7) and 2^-16 (1.5e-5); the bounds leave a little room for
// float32's own error before the rounding.
class VulkanReduce16 : public ::testing::TestWithParam<DType> {
 protected:
  double tolerance() const { return GetParam() == kFloat16 ? 3e-7 : 1.6e-5; }
  // Random values as the 16-bit dtype holds them, in float64 for the reference.
  Tensor values(const Shape& shape, uint32_t seed, double scale = 1) const {
    return (random_tensor(shape, kFloat64, seed) * scale).to(GetParam()).to(kFloat64);
  }
  Tensor on_gpu(const Tensor& t) const { return t.to(GetParam()).to(kGpu); }
  Tensor gpu_empty(const Shape& shape) const { return empty(shape, GetParam(), kGpu); }
  Backend& gpu() const { return backend_for(kGpu); }
  Backend& cpu() const { return backend_for(kCPU); }
};

TEST_P(VulkanReduce16, Softmax) {
  REQUIRE_GPU();
  for (int64_t cols : kRowLengths) {
    SCOPED_TRACE(cols);
    Tensor x = values({kRows, cols}, 31, 3);
    for (bool log : {false, true}) {
      for (int64_t dim : {0, 1}) {
        Tensor want = empty(x.shape(), kFloat64), got = gpu_empty(x.shape());
        cpu().softmax(x, dim, log, want);
        gpu().softmax(on_gpu(x), dim, log, got);
        ASSERT_EQ(got.dtype(), GetParam());
        SCOPED_TRACE(::testing::Message() << "log " << log << ", dim " << dim);
        EXPECT_NMSE_BELOW(got, values_of(want), tolerance());
      }
    }
  }
}

TEST_P(VulkanReduce16, LayerNormAndItsBackward) {
  REQUIRE_GPU();
  for (int64_t cols : {7, 257, 1000}) {
    SCOPED_TRACE(cols);
    Tensor x = values({kRows, cols}, 37, 2), w = values({cols}, 38), b = values({cols}, 39);
    Tensor grad = values({kRows, cols}, 40);
    Tensor out = empty(x.shape(), kFloat64), mean = empty({kRows}, kFloat64),
           rstd = empty({kRows}, kFloat64), grad_x = empty(x.shape(), kFloat64);
    cpu().layer_norm(x, w, b, 1e-5, out, mean, rstd);
    cpu().layer_norm_backward(grad, x, w, mean, rstd, grad_x);
    Tensor got = gpu_empty(x.shape()), got_grad = gpu_empty(x.shape());
    Tensor got_mean = empty({kRows}, kFloat32, kGpu), got_rstd = empty({kRows}, kFloat32, kGpu);
    gpu().layer_norm(on_gpu(x), on_gpu(w), on_gpu(b), 1e-5, got, got_mean, got_rstd);
    gpu().layer_norm_backward(on_gpu(grad), on_gpu(x), on_gpu(w), got_mean, got_rstd, got_grad);
    EXPECT_NMSE_BELOW(got, values_of(out), tolerance());
    // The statistics stay float32: only float32 rounding of a float32 sum.
    EXPECT_NMSE_BELOW(got_mean, values_of(mean), 1e-10);
    EXPECT_NMSE_BELOW(got_rstd, values_of(rstd), 1e-10);
    EXPECT_NMSE_BELOW(got_grad, values_of(grad_x), tolerance());
  }
}

TEST_P(VulkanReduce16, CrossEntropyAndItsBackward) {
  REQUIRE_GPU();
  for (int64_t classes : {7, 257, 1000}) {
    SCOPED_TRACE(classes);
    Tensor logits = values({kRows, classes}, 41, 3), grad = values({kRows}, 42);
    Tensor target = from_vector<int64_t>({classes - 1, -100, 3});
    Tensor losses = empty({kRows}, kFloat64), grad_logits = empty(logits.shape(), kFloat64);
    cpu().cross_entropy(logits, target, -100, 0.1, losses);
    cpu().cross_entropy_backward(logits, target, -100, 0.1, grad, grad_logits);
    Tensor got = gpu_empty({kRows}), got_grad = gpu_empty(logits.shape());
    gpu().cross_entropy(on_gpu(logits), target.to(kGpu), -100, 0.1, got);
    gpu().cross_entropy_backward(on_gpu(logits), target.to(kGpu), -100, 0.1, on_gpu(grad),
                                 got_grad);
    EXPECT_NMSE_BELOW(got, values_of(losses), tolerance());
    EXPECT_NMSE_BELOW(got_grad, values_of(grad_logits), tolerance());
  }
}

// The front end hands 16-bit data to these kernels rather than to their composites.
TEST_P(VulkanReduce16, FrontEndRunsTheKernels) {
  REQUIRE_GPU();
  for (Primitive p : {Primitive::Softmax, Primitive::LayerNorm, Primitive::CrossEntropy}) {
    EXPECT_TRUE(gpu().supports(p, GetParam())) << static_cast<int>(p);
  }
  Tensor x = values({kRows, 257}, 43, 3);
  Tensor got = log_softmax(on_gpu(x), 1);
  EXPECT_EQ(got.dtype(), GetParam());
  EXPECT_NMSE_BELOW(got, values_of(log_softmax(x, 1)), tolerance());
  Tensor weights = values({kRows, 257}, 44);
  auto layer_norm_grad = [&](const Tensor& input, const Tensor& w) {
    Tensor leaf = input.detach().clone().requires_grad_(true);
    Tensor y = nn::functional::layer_norm(leaf, {257});
    EXPECT_EQ(y.dtype(), input.dtype());
    (y * w).sum().backward();
    return std::pair{y, leaf.grad()};
  };
  auto [y, grad] = layer_norm_grad(on_gpu(x), on_gpu(weights));
  auto [y_want, grad_want] = layer_norm_grad(x, weights);
  EXPECT_NMSE_BELOW(y, values_of(y_want), tolerance());
  EXPECT_NMSE_BELOW(grad, values_of(grad_want), tolerance());
}

INSTANTIATE_TEST_SUITE_P(Dtypes, VulkanReduce16, ::testing::Values(kFloat16, kBFloat16),
                         [](const auto& info) { return std::string(dtype_name(info.param)); });

}  // namespace
}  // namespace ember::test
