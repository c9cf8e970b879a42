// The 16-bit data Vulkan kernels decline: the front end runs the fused primitives'
// composites on the device instead, and converts to float32 around the others. Float64
// is never declined: no shader computes it (DESIGN §1.6), so it reaches the CPU fallback,
// the one path to the host that remains.
#include "backend/vulkan/vulkan_backend.h"

namespace ember::vulkan {

bool VulkanBackend::supports(Primitive primitive, DType dtype) const {
  if (dtype != kFloat16 && dtype != kBFloat16) return true;
  switch (primitive) {
    case Primitive::Matmul:
    case Primitive::Random:
    case Primitive::AdamStep:
      return false;
    default:
      return true;
  }
}

}  // namespace ember::vulkan
