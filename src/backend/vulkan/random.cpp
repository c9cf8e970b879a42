// Vulkan random numbers: Philox-4x32-10, the same stream as the CPU's.
#include "backend/vulkan/kernels.h"

namespace ember::vulkan {

void VulkanBackend::random(Distribution distribution, uint64_t seed, uint64_t offset, double a,
                           double b, const Tensor& out) {
  fallback("random", {out}, 1, [=](Backend& cpu, const std::vector<Tensor>& h) {
    cpu.random(distribution, seed, offset, a, b, h[0]);
  });
}

}  // namespace ember::vulkan
