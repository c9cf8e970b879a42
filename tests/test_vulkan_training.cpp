// Whole training steps on vulkan:0 against the CPU: the same model, seed and batches give
// the same losses, and no primitive falls back to the CPU on the way.
#include <cstdlib>

#include "backend/vulkan/vulkan_backend.h"
#include "vulkan_test_util.h"

namespace ember::test {
namespace {

// Set before anything touches the device: every primitive must have a Vulkan kernel.
const bool kNoFallback = (setenv("EMBER_FALLBACK", "error", 1), true);

std::shared_ptr<nn::Module> mlp() {
  return std::make_shared<nn::Sequential>(nn::Linear(784, 512), nn::ReLU(), nn::Linear(512, 512),
                                          nn::LayerNorm(Shape{512}), nn::GELU(),
                                          nn::Linear(512, 10));
}

// The loss of each of `steps` AdamW steps on fixed random batches, on one device.
std::vector<double> train_losses(const Device& device, int steps) {
  manual_seed(0);
  std::shared_ptr<nn::Module> model = mlp();
  model->to(device);
  optim::AdamW optimizer(model->parameters());
  std::vector<double> losses;
  for (int step = 0; step < steps; ++step) {
    Tensor input = random_tensor({64, 784}, kFloat32, 100 + step).to(device);
    Tensor target = remainder(arange(64, kInt64) * (step + 3), 10).to(device);
    optimizer.zero_grad();
    Tensor loss = nn::functional::cross_entropy((*model)(input), target);
    loss.backward();
    optimizer.step();
    losses.push_back(loss.item<double>());
  }
  return losses;
}

TEST(VulkanTraining, TwentyStepsMatchTheCpu) {
  REQUIRE_GPU();
  std::vector<double> cpu = train_losses(kCPU, 20);
  std::vector<double> gpu = train_losses(kGpu, 20);
  for (size_t i = 0; i < cpu.size(); ++i) {
    EXPECT_NEAR(gpu[i], cpu[i], 1e-3 * std::abs(cpu[i])) << "step " << i;
  }
  EXPECT_LT(gpu.back(), gpu.front());  // it learns
  EXPECT_TRUE(vulkan::backend(0).fallen_back().empty());
}

TEST(VulkanTraining, FallbackErrorNamesTheOp) {
  REQUIRE_GPU();
  // float64 has no Vulkan kernels (no float64 in shaders), so it must take the fallback,
  // which EMBER_FALLBACK=error forbids.
  expect_error([] { ones({3}, kFloat32, kGpu).to(kFloat64); }, "copy", "EMBER_FALLBACK=error");
}

}  // namespace
}  // namespace ember::test
