// Vulkan copy family: strided copies with dtype conversion, and fill (shaders/unary.comp).
#include <algorithm>
#include <cstring>
#include <utility>

#include "backend/vulkan/kernels.h"
#include "backend/vulkan/strided.h"

namespace ember::vulkan {

namespace {

// The variant of unary.comp for out = x, or f(x), between dtypes: the copies between
// float32 and a 16-bit float have variants of their own where the device stores 16-bit
// values; the rest convert in the word variant.
ShaderId unary_variant(const VulkanBackend& backend, const Tensor& out, const Tensor& x) {
  if (out.dtype() == x.dtype()) return pick_variant(backend, shaders::unary, {&out, &x});
  if (!backend.context().features().storage_16bit) return shaders::unary.word;
  std::pair<DType, DType> cast{out.dtype(), x.dtype()};
  if (cast == std::pair{kFloat16, kFloat32}) return shaders::unary_f16_from_f32;
  if (cast == std::pair{kBFloat16, kFloat32}) return shaders::unary_bf16_from_f32;
  if (cast == std::pair{kFloat32, kFloat16}) return shaders::unary_f32_from_f16;
  if (cast == std::pair{kFloat32, kBFloat16}) return shaders::unary_f32_from_bf16;
  return shaders::unary.word;
}

}  // namespace

void launch_unary(VulkanBackend& backend, uint32_t op, const Tensor& x, const Tensor& out,
                  Scalar low, Scalar high) {
  for_each_strided4<2>(out.shape(), {&out, &x}, "vulkan", [&](const Strided4<2>& layout) {
    UnaryPush push{};
    std::copy_n(layout.sizes, 4, push.sizes);
    std::copy_n(layout.strides[0], 4, push.out_strides);
    std::copy_n(layout.strides[1], 4, push.in_strides);
    push.n = layout.numel;
    push.out_offset = layout.offsets[0];
    push.in_offset = layout.offsets[1];
    push.low_f = static_cast<float>(low.to_double());
    push.high_f = static_cast<float>(high.to_double());
    int64_t low_int = low.to_int(), high_int = high.to_int();
    std::memcpy(push.low_i, &low_int, 8);
    std::memcpy(push.high_i, &high_int, 8);
    ShaderId shader = unary_variant(backend, out, x);
    bool vec4 = vec4_layout(layout, {&out, &x}, shader == shaders::unary.word);
    if (vec4) push.n = layout.numel / 4;
    backend.launch(shader,
                   {kWorkgroup, op, static_cast<uint32_t>(out.dtype()),
                    static_cast<uint32_t>(x.dtype()), layout.contiguous ? 1u : 0u, vec4 ? 1u : 0u},
                   {writes(out), reads(x)}, &push, sizeof push, groups_for(push.n));
  });
}

void VulkanBackend::copy(const Tensor& src, const Tensor& dst) {
  if (any_float64({&src, &dst})) {
    return fallback("copy", {dst, src}, 1,
                    [](Backend& cpu, const std::vector<Tensor>& h) { cpu.copy(h[1], h[0]); });
  }
  if (allocation_of(src) != allocation_of(dst)) clear_marks_if_whole(dst);
  launch_unary(*this, static_cast<uint32_t>(CopyOp::Copy), src, dst);
}

void VulkanBackend::fill(const Tensor& dst, Scalar value) {
  if (any_float64({&dst})) {
    return fallback("fill", {dst}, 1,
                    [value](Backend& cpu, const std::vector<Tensor>& h) { cpu.fill(h[0], value); });
  }
  Scalar converted =
      is_floating_point(dst.dtype()) ? value : Scalar(scalar_as_int(value, dst.dtype()));
  clear_marks_if_whole(dst);
  launch_unary(*this, static_cast<uint32_t>(CopyOp::Fill), dst, dst, converted);
}

void VulkanBackend::clear_marks_if_whole(const Tensor& dst) {
  const Storage& storage = *dst.impl()->storage();
  bool whole = dst.is_contiguous() && dst.storage_offset() == 0 &&
               static_cast<size_t>(dst.numel()) * itemsize(dst.dtype()) == storage.nbytes();
  if (!whole) return;
  std::lock_guard<std::mutex> lock(mutex_);
  stream_.forget(*allocation_of(dst));
}

}  // namespace ember::vulkan
