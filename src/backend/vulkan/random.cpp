// Vulkan random numbers: Philox-4x32-10, the same stream as the CPU's (shaders/random.comp).
#include <cmath>
#include <cstring>

#include "backend/vulkan/kernels.h"

namespace ember::vulkan {

void VulkanBackend::random(Distribution distribution, uint64_t seed, uint64_t offset, double a,
                           double b, const Tensor& out) {
  bool integer = distribution == Distribution::Integer;
  if (out.numel() == 0) return;
  if ((!integer && out.dtype() != kFloat32) || out.dtype() == kFloat64) {
    return fallback("random", {out}, 1, [=](Backend& cpu, const std::vector<Tensor>& h) {
      cpu.random(distribution, seed, offset, a, b, h[0]);
    });
  }
  EMBER_CHECK(out.is_contiguous(), "random", "expects a contiguous output");
  EMBER_CHECK(!integer || a < b, "random", "expects an integer range with low < high, got [", a,
              ", ", b, ")");
  RandomPush push{};
  push.n = static_cast<uint32_t>(out.numel());
  push.distribution = static_cast<uint32_t>(distribution);
  push.dtype = static_cast<uint32_t>(out.dtype());
  push.out_offset = static_cast<uint32_t>(out.storage_offset());
  push.key[0] = static_cast<uint32_t>(seed);
  push.key[1] = static_cast<uint32_t>(seed >> 32);
  push.counter[0] = static_cast<uint32_t>(offset);
  push.counter[1] = static_cast<uint32_t>(offset >> 32);
  float low = static_cast<float>(a), high = static_cast<float>(b);
  push.low = low;
  push.span = distribution == Distribution::Uniform ? static_cast<float>(b - a) : high;
  push.below_high = std::nextafter(high, low);
  int64_t low_int = static_cast<int64_t>(a);
  uint64_t range = static_cast<uint64_t>(static_cast<int64_t>(b)) - static_cast<uint64_t>(low_int);
  std::memcpy(push.low_int, &low_int, 8);
  std::memcpy(push.range, &range, 8);
  uint64_t per_block = integer && out.dtype() == kInt64 ? 2 : 4;
  launch(shaders::random, {kWorkgroup}, {writes(out)}, &push, sizeof push,
         groups_for((out.numel() + per_block - 1) / per_block));
}

}  // namespace ember::vulkan
