// Vulkan losses: fused cross-entropy and its backward.
#include "backend/vulkan/kernels.h"

namespace ember::vulkan {

void VulkanBackend::cross_entropy(const Tensor& logits, const Tensor& target, int64_t ignore_index,
                                  double label_smoothing, const Tensor& losses) {
  fallback("cross_entropy", {losses, logits, target}, 1,
           [=](Backend& cpu, const std::vector<Tensor>& h) {
             cpu.cross_entropy(h[1], h[2], ignore_index, label_smoothing, h[0]);
           });
}

void VulkanBackend::cross_entropy_backward(const Tensor& logits, const Tensor& target,
                                           int64_t ignore_index, double label_smoothing,
                                           const Tensor& grad_losses, const Tensor& grad_logits) {
  fallback("cross_entropy_backward", {grad_logits, logits, target, grad_losses}, 1,
           [=](Backend& cpu, const std::vector<Tensor>& h) {
             cpu.cross_entropy_backward(h[1], h[2], ignore_index, label_smoothing, h[3], h[0]);
           });
}

}  // namespace ember::vulkan
