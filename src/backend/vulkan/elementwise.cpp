// Vulkan elementwise family: unary, binary, binary_scalar, where and clamp.
#include "backend/vulkan/kernels.h"

namespace ember::vulkan {

void VulkanBackend::unary(UnaryOp op, const Tensor& x, const Tensor& out) {
  if (any_float64({&x})) {
    return fallback(
        unary_op_name(op), {out, x}, 1,
        [op](Backend& cpu, const std::vector<Tensor>& h) { cpu.unary(op, h[1], h[0]); });
  }
  launch_unary(*this, static_cast<uint32_t>(op), x, out);
}

void VulkanBackend::clamp(const Tensor& x, Scalar min, Scalar max, const Tensor& out) {
  if (any_float64({&x})) {
    return fallback("clamp", {out, x}, 1, [=](Backend& cpu, const std::vector<Tensor>& h) {
      cpu.clamp(h[1], min, max, h[0]);
    });
  }
  launch_unary(*this, static_cast<uint32_t>(CopyOp::Clamp), x, out, min, max);
}

void VulkanBackend::binary(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out) {
  fallback(binary_op_name(op), {out, a, b}, 1,
           [op](Backend& cpu, const std::vector<Tensor>& h) { cpu.binary(op, h[1], h[2], h[0]); });
}

void VulkanBackend::binary_scalar(BinaryOp op, const Tensor& a, Scalar b, bool scalar_first,
                                  const Tensor& out) {
  fallback(binary_op_name(op), {out, a}, 1, [=](Backend& cpu, const std::vector<Tensor>& h) {
    cpu.binary_scalar(op, h[1], b, scalar_first, h[0]);
  });
}

void VulkanBackend::where(const Tensor& condition, const Tensor& a, const Tensor& b,
                          const Tensor& out) {
  fallback("where", {out, condition, a, b}, 1,
           [](Backend& cpu, const std::vector<Tensor>& h) { cpu.where(h[1], h[2], h[3], h[0]); });
}

}  // namespace ember::vulkan
