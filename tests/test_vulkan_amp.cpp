// Mixed precision on vulkan:0: autocast's op lists and gradients on the device, and a
// float16 model whose parameters and activations take half the bytes of float32.
#include "vulkan_test_util.h"

namespace ember::test {
namespace {

namespace F = nn::functional;

// float16 keeps 11 significant bits: each rounding is up to 2^-11 relative, so a product
// of rounded operands has a normalised squared error of a few times 2.4e-7.
constexpr double kFloat16Tolerance = 1e-5;

TEST(VulkanAmp, AutocastRunsMatmulInFloat16AndLossesInFloat32) {
  REQUIRE_GPU();
  const int64_t m = 17, k = 33, n = 10;
  Tensor x = random_tensor({m, k}, kFloat32, 1);
  Tensor w = random_tensor({k, n}, kFloat32, 2);
  Tensor target = remainder(arange(m, kInt64) * 3, n);
  Tensor xg = x.to(kGpu), wg = w.to(kGpu).requires_grad_();
  Tensor logits, loss;
  {
    AutocastGuard autocast(kGpu, kFloat16);
    logits = matmul(xg, wg);
    loss = F::cross_entropy(logits, target.to(kGpu));
    EXPECT_EQ(matmul(x, w).dtype(), kFloat32);  // the CPU is another device type
  }
  EXPECT_EQ(logits.dtype(), kFloat16);
  EXPECT_EQ(loss.dtype(), kFloat32);
  loss.backward();
  EXPECT_EQ(wg.grad().dtype(), kFloat32);
  // The same computation in float64 on the CPU.
  Tensor w64 = w.to(kFloat64).requires_grad_();
  Tensor loss64 = F::cross_entropy(matmul(x.to(kFloat64), w64), target);
  loss64.backward();
  EXPECT_NMSE_BELOW(logits.to(kCPU), values_of(matmul(x.to(kFloat64), w.to(kFloat64))),
                    kFloat16Tolerance);
  EXPECT_NMSE_BELOW(loss.to(kCPU), values_of(loss64), kFloat16Tolerance);
  EXPECT_NMSE_BELOW(wg.grad().to(kCPU), values_of(w64.grad()), kFloat16Tolerance);
}

size_t allocated() {
  synchronize(kGpu);
  return memory_stats(kGpu).allocated;
}

std::shared_ptr<nn::Module> mlp() {
  return std::make_shared<nn::Sequential>(nn::Linear(784, 512), nn::ReLU(), nn::Linear(512, 512),
                                          nn::ReLU(), nn::Linear(512, 10));
}

struct Footprint {
  size_t parameters, activations;
};

// The bytes a model's parameters take on the device, and those one forward keeps alive
// for backward (its output and what the graph saves), with the input already there.
Footprint footprint(DType dtype) {
  manual_seed(0);
  size_t before = allocated();
  std::shared_ptr<nn::Module> model = mlp();
  model->to(kGpu);
  model->to(dtype);
  size_t parameters = allocated() - before;
  Tensor input = random_tensor({64, 784}, dtype, 3).to(kGpu);
  size_t ready = allocated();
  Tensor out = (*model)(input);
  size_t activations = allocated() - ready;
  return {parameters, activations};
}

// Block rounding makes the ratio not exactly 1/2: allow 2% over.
TEST(VulkanAmp, AFloat16ModelTakesHalfTheBytesOfFloat32) {
  REQUIRE_GPU();
  Footprint f32 = footprint(kFloat32), f16 = footprint(kFloat16);
  std::cout << "float32: parameters " << f32.parameters << " B, activations " << f32.activations
            << " B; float16: parameters " << f16.parameters << " B, activations " << f16.activations
            << " B" << std::endl;
  ASSERT_GT(f32.parameters, 0u);
  ASSERT_GT(f32.activations, 0u);
  EXPECT_LE(static_cast<double>(f16.parameters), 0.51 * static_cast<double>(f32.parameters));
  EXPECT_LE(static_cast<double>(f16.activations), 0.51 * static_cast<double>(f32.activations));
  EXPECT_GE(static_cast<double>(f16.parameters), 0.49 * static_cast<double>(f32.parameters));
}

}  // namespace
}  // namespace ember::test
