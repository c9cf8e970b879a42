// Vulkan matmul.
#include "backend/vulkan/kernels.h"

namespace ember::vulkan {

void VulkanBackend::matmul(const Tensor& a, const Tensor& b, const Tensor& out) {
  fallback("matmul", {out, a, b}, 1,
           [](Backend& cpu, const std::vector<Tensor>& h) { cpu.matmul(h[1], h[2], h[0]); });
}

}  // namespace ember::vulkan
