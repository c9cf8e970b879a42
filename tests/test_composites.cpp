// The composites of the fused primitives (src/ops/composites.h) against the fused kernels,
// values and gradients: each is what a backend that declines the kernel runs instead.
#include "ops/composites.h"
#include "test_util.h"

namespace ember {
namespace {

namespace F = nn::functional;
using test::expect_error;
using test::random_tensor;

Tensor leaf_copy(const Tensor& x) { return x.detach().clone().requires_grad_(); }

TEST(Composites, SoftmaxAndLogSoftmaxMatchTheKernels) {
  for (DType dtype : {kFloat32, kFloat64}) {
    for (bool log : {false, true}) {
      Tensor x = random_tensor({37, 53}, dtype, 3) * 6.0;
      Tensor fused_in = leaf_copy(x), composite_in = leaf_copy(x);
      Tensor fused = log ? log_softmax(fused_in, 1) : softmax(fused_in, 1);
      Tensor composite = composite::softmax(composite_in, 1, log);
      double tolerance = dtype == kFloat64 ? 1e-24 : 1e-12;
      EXPECT_NMSE_BELOW(composite, fused.to_vector<double>(), tolerance);
      Tensor weights = random_tensor({37, 53}, dtype, 4);
      (fused * weights).sum().backward();
      (composite * weights).sum().backward();
      EXPECT_NMSE_BELOW(composite_in.grad(), fused_in.grad().to_vector<double>(), tolerance);
    }
  }
}

TEST(Composites, LayerNormMatchesTheKernel) {
  Tensor x = test::non_contiguous(random_tensor({19, 45}, kFloat64, 5) * 3.0 + 1.0);
  Tensor w = random_tensor({45}, kFloat64, 6), b = random_tensor({45}, kFloat64, 7);
  Tensor fused = F::layer_norm(x, {45}, w, b, 1e-5);
  composite::LayerNormResult composite = composite::layer_norm(x, w, b, 1e-5);
  EXPECT_NMSE_BELOW(composite.out, fused.to_vector<double>(), 1e-24);
  EXPECT_NMSE_BELOW(composite.mean, x.mean({1}).to_vector<double>(), 1e-24);
  Tensor rstd = rsqrt(x.var({1}, 0) + 1e-5);
  EXPECT_NMSE_BELOW(composite.rstd, rstd.to_vector<double>(), 1e-24);
  Tensor bare = composite::layer_norm(x, Tensor(), Tensor(), 1e-5).out;
  EXPECT_NMSE_BELOW(bare, F::layer_norm(x, {45}).to_vector<double>(), 1e-24);
}

TEST(Composites, CrossEntropyMatchesTheKernelWithIgnoredTargetsAndSmoothing) {
  Tensor logits = test::non_contiguous(random_tensor({29, 11}, kFloat64, 8) * 5.0);
  std::vector<int64_t> targets(29);
  for (size_t i = 0; i < targets.size(); ++i) targets[i] = static_cast<int64_t>(i * 5 % 11);
  targets[3] = targets[17] = -100;
  Tensor target = from_vector(targets);
  for (double smoothing : {0.0, 0.2}) {
    Tensor fused_in = leaf_copy(logits), composite_in = leaf_copy(logits);
    Tensor fused = F::cross_entropy(
        fused_in, target, {.reduction = F::Reduction::None, .label_smoothing = smoothing});
    Tensor composite = composite::cross_entropy(composite_in, target, -100, smoothing);
    EXPECT_NMSE_BELOW(composite, fused.to_vector<double>(), 1e-24);
    EXPECT_EQ(composite.to_vector<double>()[3], 0.0);
    fused.sum().backward();
    composite.sum().backward();
    EXPECT_NMSE_BELOW(composite_in.grad(), fused_in.grad().to_vector<double>(), 1e-24);
  }
  expect_error([&] { composite::cross_entropy(logits, full({29}, 11, kInt64), -100, 0); }, "gather",
               "index 11 is out of range");
}

TEST(Composites, AdamStepMatchesTheKernelInEveryMode) {
  for (bool decoupled : {false, true}) {
    AdamStep step{1e-2, 0.9, 0.99, 1e-8, 0.05, decoupled, 3};
    auto make = [] {
      return AdamTensors{random_tensor({7, 13}, kFloat64, 9), random_tensor({7, 13}, kFloat64, 10),
                         random_tensor({7, 13}, kFloat64, 11),
                         abs(random_tensor({7, 13}, kFloat64, 12))};
    };
    AdamTensors fused = make(), composite = make();
    backend_for(kCPU).adam_step({&fused, 1}, step);
    composite::adam_step({&composite, 1}, step);
    EXPECT_NMSE_BELOW(composite.param, fused.param.to_vector<double>(), 1e-26);
    EXPECT_NMSE_BELOW(composite.exp_avg, fused.exp_avg.to_vector<double>(), 1e-26);
    EXPECT_NMSE_BELOW(composite.exp_avg_sq, fused.exp_avg_sq.to_vector<double>(), 1e-26);
  }
}

}  // namespace
}  // namespace ember
