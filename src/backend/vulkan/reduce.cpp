// Vulkan reduction family: reduce, cumsum and softmax.
#include "backend/vulkan/kernels.h"

namespace ember::vulkan {

void VulkanBackend::reduce(ReduceOp op, const Tensor& x, const std::vector<int64_t>& dims,
                           const Tensor& out) {
  fallback("reduce", {out, x}, 1,
           [=](Backend& cpu, const std::vector<Tensor>& h) { cpu.reduce(op, h[1], dims, h[0]); });
}

void VulkanBackend::cumsum(const Tensor& x, int64_t dim, const Tensor& out) {
  fallback("cumsum", {out, x}, 1,
           [=](Backend& cpu, const std::vector<Tensor>& h) { cpu.cumsum(h[1], dim, h[0]); });
}

void VulkanBackend::softmax(const Tensor& x, int64_t dim, bool log, const Tensor& out) {
  fallback(log ? "log_softmax" : "softmax", {out, x}, 1,
           [=](Backend& cpu, const std::vector<Tensor>& h) { cpu.softmax(h[1], dim, log, h[0]); });
}

}  // namespace ember::vulkan
