// Vulkan normalisation: layer norm and its backward.
#include "backend/vulkan/kernels.h"

namespace ember::vulkan {

void VulkanBackend::layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias,
                               double eps, const Tensor& out, const Tensor& mean,
                               const Tensor& rstd) {
  fallback("layer_norm", {out, mean, rstd, x, weight, bias}, 3,
           [=](Backend& cpu, const std::vector<Tensor>& h) {
             cpu.layer_norm(h[3], h[4], h[5], eps, h[0], h[1], h[2]);
           });
}

void VulkanBackend::layer_norm_backward(const Tensor& grad_out, const Tensor& x,
                                        const Tensor& weight, const Tensor& mean,
                                        const Tensor& rstd, const Tensor& grad_x) {
  fallback("layer_norm_backward", {grad_x, grad_out, x, weight, mean, rstd}, 1,
           [](Backend& cpu, const std::vector<Tensor>& h) {
             cpu.layer_norm_backward(h[1], h[2], h[3], h[4], h[5], h[0]);
           });
}

}  // namespace ember::vulkan
