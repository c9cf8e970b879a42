// The data Vulkan kernels decline: none. Every primitive reads and writes float16 and
// bfloat16 in its own storage, or through 32-bit words on a device without 16-bit
// storage. Float64 is never declined either: no shader computes it (DESIGN §1.6), so it
// reaches the CPU fallback, the one path to the host that remains.
#include "backend/vulkan/vulkan_backend.h"

namespace ember::vulkan {

bool VulkanBackend::supports(Primitive /*primitive*/, DType /*dtype*/) const { return true; }

}  // namespace ember::vulkan
