// Helpers shared by the Vulkan kernel files (copy.cpp, elementwise.cpp, ...).
#pragma once

#include <initializer_list>

#include "backend/vulkan/push_constants.h"
#include "backend/vulkan/shader_ids.h"
#include "backend/vulkan/vulkan_backend.h"
#include "core/check.h"
#include "core/packing.h"
#include "ember/scalar.h"

namespace ember::vulkan {

// Loops in a shader stay well within 65,535 iterations, where lavapipe (llvmpipe) ends
// them early. Longer walks are split over several launches.
inline constexpr uint32_t kMaxLoopIterations = 32768;

// Shaders compute in float32 and store float64 nowhere (DESIGN §1.6).
inline bool any_float64(std::initializer_list<const Tensor*> tensors) {
  for (const Tensor* t : tensors) {
    if (t->defined() && t->dtype() == kFloat64) return true;
  }
  return false;
}

// The number as the CPU converts it to the tensor's dtype, as int64.
inline int64_t scalar_as_int(Scalar value, DType dtype) {
  double d = value.to_double();
  switch (dtype) {
    case kBool:
      return value.is_floating_point() ? d != 0 : value.to_int() != 0;
    case kUInt8:
      return value.is_floating_point() ? static_cast<uint8_t>(d)
                                       : static_cast<uint8_t>(value.to_int());
    case kInt32:
      return value.is_floating_point() ? static_cast<int32_t>(d)
                                       : static_cast<int32_t>(value.to_int());
    default:
      return value.to_int();
  }
}

// AroundDim (core/packing.h) in the 32-bit counts the shaders take.
struct Around32 {
  uint32_t outer, n, inner;
};
inline Around32 around32(const Shape& shape, int64_t dim) {
  AroundDim s(shape, dim);
  return {static_cast<uint32_t>(s.outer), static_cast<uint32_t>(s.n),
          static_cast<uint32_t>(s.inner)};
}

// The variant of a shader for a launch over `typed`, the tensors its shader declares with
// DATA_TENSOR (shaders/elements.glsl): pick()'s when they share one dtype, else the
// 32-bit-word variant, which converts between any dtypes.
inline ShaderId pick_variant(const VulkanBackend& backend, const Variants& variants,
                             std::initializer_list<const Tensor*> typed) {
  DType dtype = (*typed.begin())->dtype();
  for (const Tensor* t : typed) {
    if (t->dtype() != dtype) return variants.word;
  }
  return pick(variants, dtype, backend.context().features());
}

// Whether an elementwise launch may take four elements per invocation through
// load4/store4: every operand dense and stored natively (in any variant but the word one,
// whose vec4 views hold float32 only), and the count and offsets multiples of 4.
template <typename Layout>
bool vec4_layout(const Layout& layout, std::initializer_list<const Tensor*> operands,
                 bool word_variant) {
  if (!layout.contiguous || layout.numel % 4 != 0) return false;
  for (const Tensor* t : operands) {
    if (word_variant && t->dtype() != kFloat32) return false;
  }
  for (uint32_t offset : layout.offsets) {
    if (offset % 4 != 0) return false;
  }
  return true;
}

// The op code unary.comp gives copy, fill and clamp, after UnaryOp's values.
enum class CopyOp : uint32_t { Copy = 100, Fill = 101, Clamp = 102 };

// One launch of unary.comp: out = op(x) elementwise (x ignored by Fill, which writes low;
// Clamp bounds x to [low, high]).
void launch_unary(VulkanBackend& backend, uint32_t op, const Tensor& x, const Tensor& out,
                  Scalar low = 0, Scalar high = 0);

}  // namespace ember::vulkan
