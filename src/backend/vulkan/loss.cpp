// Vulkan losses: fused cross-entropy and its backward (shaders/loss.comp). A target out
// of range is reported by the device and raised at the next host wait.
#include <cstddef>
#include <cstring>

#include "backend/vulkan/kernels.h"

namespace ember::vulkan {

void VulkanBackend::cross_entropy(const Tensor& logits, const Tensor& target, int64_t ignore_index,
                                  double label_smoothing, const Tensor& losses) {
  if (any_float64({&logits})) {
    return fallback("cross_entropy", {losses, logits, target}, 1,
                    [=](Backend& cpu, const std::vector<Tensor>& h) {
                      cpu.cross_entropy(h[1], h[2], ignore_index, label_smoothing, h[0]);
                    });
  }
  cross_entropy_launch(logits, target, ignore_index, label_smoothing, logits, losses, false);
}

void VulkanBackend::cross_entropy_backward(const Tensor& logits, const Tensor& target,
                                           int64_t ignore_index, double label_smoothing,
                                           const Tensor& grad_losses, const Tensor& grad_logits) {
  if (any_float64({&logits})) {
    return fallback("cross_entropy_backward", {grad_logits, logits, target, grad_losses}, 1,
                    [=](Backend& cpu, const std::vector<Tensor>& h) {
                      cpu.cross_entropy_backward(h[1], h[2], ignore_index, label_smoothing, h[3],
                                                 h[0]);
                    });
  }
  Tensor grad = contiguous_copy(grad_losses, *this);
  cross_entropy_launch(logits, target, ignore_index, label_smoothing, grad, grad_logits, true);
}

void VulkanBackend::cross_entropy_launch(const Tensor& logits, const Tensor& target,
                                         int64_t ignore_index, double label_smoothing,
                                         const Tensor& grad_losses, const Tensor& out,
                                         bool backward) {
  uint32_t rows = static_cast<uint32_t>(logits.shape()[0]);
  if (rows == 0) return;
  Tensor index = contiguous_copy(target, *this);
  LossPush push{rows,
                static_cast<uint32_t>(logits.shape()[1]),
                static_cast<float>(label_smoothing),
                {},
                static_cast<uint32_t>(logits.storage_offset()),
                static_cast<uint32_t>(index.storage_offset()),
                static_cast<uint32_t>(grad_losses.storage_offset()),
                0};
  std::memcpy(push.ignore_index, &ignore_index, 8);
  const Variants& variants = pick(shaders::loss, context().features());
  CheckContext context =
      check_context("cross_entropy", 1, {"logits", &logits.shape()}, {"target", &target.shape()});
  launch_checked(pick_variant(*this, variants, {&out, &logits, &grad_losses}),
                 {kWorkgroup, static_cast<uint32_t>(logits.dtype()), backward ? 1u : 0u},
                 {writes(out), reads(logits), reads(index), reads(grad_losses), device_checks()},
                 &push, sizeof push, groups_for(rows, 1),
                 {offsetof(LossPush, check_slot), context});
}

}  // namespace ember::vulkan
