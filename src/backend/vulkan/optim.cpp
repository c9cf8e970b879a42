// Vulkan optimizer updates: Adam(W) fused into one dispatch per parameter
// (shaders/optim.comp).
#include <cmath>

#include "backend/vulkan/kernels.h"

namespace ember::vulkan {

namespace {

struct AdamPush {
  uint32_t n, param_offset, exp_avg_offset, exp_avg_sq_offset, grad_offset, decoupled;
  float beta1, beta2, weight_decay, decay, step_size, sqrt_c2, eps;
};

}  // namespace

void VulkanBackend::adam_step(const Tensor& param, const Tensor& grad, const Tensor& exp_avg,
                              const Tensor& exp_avg_sq, const AdamStep& step) {
  if (param.dtype() != kFloat32) {
    return fallback("adam_step", {param, exp_avg, exp_avg_sq, grad}, 3,
                    [=](Backend& cpu, const std::vector<Tensor>& h) {
                      cpu.adam_step(h[0], h[3], h[1], h[2], step);
                    });
  }
  if (param.numel() == 0) return;
  AdamPush push{static_cast<uint32_t>(param.numel()),
                static_cast<uint32_t>(param.storage_offset()),
                static_cast<uint32_t>(exp_avg.storage_offset()),
                static_cast<uint32_t>(exp_avg_sq.storage_offset()),
                static_cast<uint32_t>(grad.storage_offset()),
                step.decoupled_weight_decay ? 1u : 0u,
                static_cast<float>(step.beta1),
                static_cast<float>(step.beta2),
                static_cast<float>(step.weight_decay),
                static_cast<float>(1 - step.lr * step.weight_decay),
                static_cast<float>(step.lr / (1 - std::pow(step.beta1, step.step))),
                static_cast<float>(std::sqrt(1 - std::pow(step.beta2, step.step))),
                static_cast<float>(step.eps)};
  launch("optim", {kWorkgroup}, {writes(param), writes(exp_avg), writes(exp_avg_sq), reads(grad)},
         &push, sizeof push, groups_for(param.numel()));
}

}  // namespace ember::vulkan
