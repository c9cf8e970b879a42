// Vulkan random numbers: Philox-4x32-10, the same stream as the CPU's (shaders/random.comp),
// float16 and bfloat16 taking float32's numbers rounded on store.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "backend/vulkan/kernels.h"

namespace ember::vulkan {

namespace {

// The largest value of S below high, as a float: uniform values are clamped to it, since
// rounding to S may reach high (the CPU's rule, src/backend/cpu/random.cpp).
template <typename S>
float below_in(float high) {
  S value(high);
  if (static_cast<float>(value) < high) return static_cast<float>(value);
  bool negative = value.bits & 0x8000u;
  if (value.bits == 0) {
    value.bits = 0x8001u;  // below +0: the smallest negative subnormal
  } else {
    value.bits = static_cast<uint16_t>(negative ? value.bits + 1 : value.bits - 1);
  }
  return static_cast<float>(value);
}

float below_high(DType dtype, float low, float high) {
  float below = std::nextafter(high, low);
  if (dtype == kFloat16) return std::min(below, below_in<Half>(high));
  if (dtype == kBFloat16) return std::min(below, below_in<BFloat16>(high));
  return below;
}

}  // namespace

void VulkanBackend::random(Distribution distribution, uint64_t seed, uint64_t offset, double a,
                           double b, const Tensor& out) {
  bool integer = distribution == Distribution::Integer;
  if (out.numel() == 0) return;
  if (out.dtype() == kFloat64) {
    return fallback("random", {out}, 1, [=](Backend& cpu, const std::vector<Tensor>& h) {
      cpu.random(distribution, seed, offset, a, b, h[0]);
    });
  }
  EMBER_CHECK(out.is_contiguous(), "random", "expects a contiguous output");
  EMBER_CHECK(!integer || a < b, "random", "expects an integer range with low < high, got [", a,
              ", ", b, ")");
  RandomPush push{};
  push.n = static_cast<uint32_t>(out.numel());
  push.out_offset = static_cast<uint32_t>(out.storage_offset());
  push.key[0] = static_cast<uint32_t>(seed);
  push.key[1] = static_cast<uint32_t>(seed >> 32);
  push.counter[0] = static_cast<uint32_t>(offset);
  push.counter[1] = static_cast<uint32_t>(offset >> 32);
  float low = static_cast<float>(a), high = static_cast<float>(b);
  push.low = low;
  push.span = distribution == Distribution::Uniform ? static_cast<float>(b - a) : high;
  push.below_high = below_high(out.dtype(), low, high);
  int64_t low_int = static_cast<int64_t>(a);
  uint64_t range = static_cast<uint64_t>(static_cast<int64_t>(b)) - static_cast<uint64_t>(low_int);
  std::memcpy(push.low_int, &low_int, 8);
  std::memcpy(push.range, &range, 8);
  uint64_t per_block = integer && out.dtype() == kInt64 ? 2 : 4;
  launch(pick_variant(*this, shaders::random, {&out}),
         {kWorkgroup, static_cast<uint32_t>(distribution), static_cast<uint32_t>(out.dtype())},
         {writes(out)}, &push, sizeof push, groups_for((out.numel() + per_block - 1) / per_block));
}

}  // namespace ember::vulkan
