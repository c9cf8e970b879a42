// Vulkan normalisation: layer norm and its backward, one workgroup per row
// (shaders/norm.comp).
#include <array>

#include "backend/vulkan/kernels.h"

namespace ember::vulkan {

namespace {

// Specialization constants of norm.comp: workgroup size, the dtype the 32-bit-word
// variant reads and writes, the direction and which of weight and bias are given.
std::array<uint32_t, 5> norm_constants(const Tensor& x, bool backward, const Tensor& weight,
                                       const Tensor& bias) {
  return {kWorkgroup, static_cast<uint32_t>(x.dtype()), backward ? 1u : 0u,
          weight.defined() ? 1u : 0u, bias.defined() ? 1u : 0u};
}

// norm.comp's storage variants with the workgroup reduction the device can run.
const Variants& norm_variants(const Context& context) {
  return pick(shaders::norm, context.features());
}

uint32_t offset_of(const Tensor& t) {
  return t.defined() ? static_cast<uint32_t>(t.storage_offset()) : 0;
}

}  // namespace

void VulkanBackend::layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias,
                               double eps, const Tensor& out, const Tensor& mean,
                               const Tensor& rstd) {
  if (any_float64({&x})) {
    return fallback("layer_norm", {out, mean, rstd, x, weight, bias}, 3,
                    [=](Backend& cpu, const std::vector<Tensor>& h) {
                      cpu.layer_norm(h[3], h[4], h[5], eps, h[0], h[1], h[2]);
                    });
  }
  uint32_t rows = static_cast<uint32_t>(x.shape()[0]);
  if (rows == 0) return;
  NormPush push{rows,
                static_cast<uint32_t>(x.shape()[1]),
                static_cast<float>(eps),
                offset_of(x),
                offset_of(weight),
                offset_of(bias),
                0};
  // Absent weight or bias: x stands in for the binding; the shader does not read it.
  launch(pick_variant(*this, norm_variants(context()), {&out, &x}),
         norm_constants(x, false, weight, bias),
         {writes(out), writes(mean), writes(rstd), reads(x), reads(weight.defined() ? weight : x),
          reads(bias.defined() ? bias : x), reads(x)},
         &push, sizeof push, groups_for(rows, 1));
}

void VulkanBackend::layer_norm_backward(const Tensor& grad_out, const Tensor& x,
                                        const Tensor& weight, const Tensor& mean,
                                        const Tensor& rstd, const Tensor& grad_x) {
  if (any_float64({&x})) {
    return fallback("layer_norm_backward", {grad_x, grad_out, x, weight, mean, rstd}, 1,
                    [](Backend& cpu, const std::vector<Tensor>& h) {
                      cpu.layer_norm_backward(h[1], h[2], h[3], h[4], h[5], h[0]);
                    });
  }
  uint32_t rows = static_cast<uint32_t>(x.shape()[0]);
  if (rows == 0) return;
  NormPush push{rows,
                static_cast<uint32_t>(x.shape()[1]),
                0,
                offset_of(x),
                offset_of(weight),
                0,
                offset_of(grad_out)};
  launch(pick_variant(*this, norm_variants(context()), {&grad_x, &x, &grad_out}),
         norm_constants(x, true, weight, Tensor()),
         {writes(grad_x), reads(mean), reads(rstd), reads(x), reads(weight.defined() ? weight : x),
          reads(x), reads(grad_out)},
         &push, sizeof push, groups_for(rows, 1));
}

}  // namespace ember::vulkan
