// Vulkan optimizer updates.
#include "backend/vulkan/kernels.h"

namespace ember::vulkan {

void VulkanBackend::adam_step(const Tensor& param, const Tensor& grad, const Tensor& exp_avg,
                              const Tensor& exp_avg_sq, const AdamStep& step) {
  fallback("adam_step", {param, exp_avg, exp_avg_sq, grad}, 3,
           [=](Backend& cpu, const std::vector<Tensor>& h) {
             cpu.adam_step(h[0], h[3], h[1], h[2], step);
           });
}

}  // namespace ember::vulkan
