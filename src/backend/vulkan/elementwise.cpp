// Vulkan elementwise family: unary, binary, binary_scalar, where and clamp
// (shaders/unary.comp, binary.comp, where.comp).
#include <algorithm>
#include <cstring>

#include "backend/vulkan/kernels.h"
#include "backend/vulkan/strided.h"

namespace ember::vulkan {

namespace {

enum class ScalarMode : uint32_t { None = 0, Second = 1, First = 2 };

void launch_binary(VulkanBackend& backend, BinaryOp op, const Tensor& a, const Tensor& b,
                   ScalarMode mode, Scalar scalar, const Tensor& out) {
  for_each_strided4<3>(
      out.shape(), {&out, &a, &b}, binary_op_name(op), [&](const Strided4<3>& layout) {
        BinaryPush push{};
        std::copy_n(layout.sizes, 4, push.sizes);
        std::memcpy(push.strides, layout.strides, sizeof push.strides);
        push.n = layout.numel;
        push.out_offset = layout.offsets[0];
        push.a_offset = layout.offsets[1];
        push.b_offset = layout.offsets[2];
        push.scalar_f = static_cast<float>(scalar.to_double());
        int64_t scalar_int = scalar_as_int(scalar, a.dtype());
        std::memcpy(push.scalar_i, &scalar_int, 8);
        ShaderId shader = pick_variant(backend, shaders::binary, {&out, &a, &b});
        bool vec4 = vec4_layout(layout, {&out, &a, &b}, shader == shaders::binary.word);
        if (vec4) push.n = layout.numel / 4;
        backend.launch(shader,
                       {kWorkgroup, static_cast<uint32_t>(op), static_cast<uint32_t>(a.dtype()),
                        static_cast<uint32_t>(out.dtype()), static_cast<uint32_t>(mode),
                        layout.contiguous ? 1u : 0u, vec4 ? 1u : 0u},
                       {writes(out), reads(a), reads(b)}, &push, sizeof push, groups_for(push.n));
      });
}

// Integer % raises on a zero divisor, which only the CPU kernel can report at once.
bool needs_cpu(BinaryOp op, const Tensor& a) {
  return a.dtype() == kFloat64 || (op == BinaryOp::Remainder && !is_floating_point(a.dtype()));
}

}  // namespace

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
  DType dtype = x.dtype();
  Scalar low = is_floating_point(dtype) ? min : Scalar(scalar_as_int(min, dtype));
  Scalar high = is_floating_point(dtype) ? max : Scalar(scalar_as_int(max, dtype));
  launch_unary(*this, static_cast<uint32_t>(CopyOp::Clamp), x, out, low, high);
}

void VulkanBackend::binary(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out) {
  if (needs_cpu(op, a)) {
    return fallback(
        binary_op_name(op), {out, a, b}, 1,
        [op](Backend& cpu, const std::vector<Tensor>& h) { cpu.binary(op, h[1], h[2], h[0]); });
  }
  launch_binary(*this, op, a, b, ScalarMode::None, 0, out);
}

void VulkanBackend::binary_scalar(BinaryOp op, const Tensor& a, Scalar b, bool scalar_first,
                                  const Tensor& out) {
  if (needs_cpu(op, a)) {
    return fallback(binary_op_name(op), {out, a}, 1,
                    [=](Backend& cpu, const std::vector<Tensor>& h) {
                      cpu.binary_scalar(op, h[1], b, scalar_first, h[0]);
                    });
  }
  // The unused b binding names a; nothing reads it.
  launch_binary(*this, op, a, a, scalar_first ? ScalarMode::First : ScalarMode::Second, b, out);
}

void VulkanBackend::where(const Tensor& condition, const Tensor& a, const Tensor& b,
                          const Tensor& out) {
  if (any_float64({&a})) {
    return fallback(
        "where", {out, condition, a, b}, 1,
        [](Backend& cpu, const std::vector<Tensor>& h) { cpu.where(h[1], h[2], h[3], h[0]); });
  }
  for_each_strided4<4>(
      out.shape(), {&out, &condition, &a, &b}, "where", [&](const Strided4<4>& layout) {
        WherePush push{};
        std::copy_n(layout.sizes, 4, push.sizes);
        std::memcpy(push.strides, layout.strides, sizeof push.strides);
        push.n = layout.numel;
        std::copy_n(layout.offsets, 4, push.offsets);
        launch(pick_variant(*this, shaders::where, {&out, &a, &b}),
               {kWorkgroup, static_cast<uint32_t>(out.dtype()),
                static_cast<uint32_t>(condition.dtype()), layout.contiguous ? 1u : 0u},
               {writes(out), reads(condition), reads(a), reads(b)}, &push, sizeof push,
               groups_for(layout.numel));
      });
}

}  // namespace ember::vulkan
