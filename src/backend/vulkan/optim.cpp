// Vulkan optimizer updates: Adam(W) of up to kAdamTensors parameters of one float dtype
// in one dispatch (shaders/optim.comp). A table in device memory, written in stream
// order, gives each parameter its run of workgroups and its offsets.
#include <cmath>
#include <vector>

#include "backend/vulkan/kernels.h"

namespace ember::vulkan {

namespace {

constexpr uint32_t kAdamTensors = 7;  // MAX_TENSORS in the shader
constexpr uint32_t kTableWords = 6;

uint32_t offset_of(const Tensor& t) { return static_cast<uint32_t>(t.storage_offset()); }

}  // namespace

void VulkanBackend::adam_step(std::span<const AdamTensors> group, const AdamStep& step) {
  check_adam_dtypes(group);
  auto on_host = [&](std::span<const AdamTensors> tensors) {
    for (const AdamTensors& t : tensors) {
      fallback("adam_step", {t.param, t.exp_avg, t.exp_avg_sq, t.grad}, 3,
               [=](Backend& cpu, const std::vector<Tensor>& h) {
                 AdamTensors host{h[0], h[3], h[1], h[2]};
                 cpu.adam_step({&host, 1}, step);
               });
    }
  };
  if (!context_.buffer_arrays()) return on_host(group);
  // Each dispatch takes a run of parameters of one dtype, the variant's.
  for (size_t first = 0, end = 0; first < group.size(); first = end) {
    DType dtype = group[first].param.dtype();
    end = first + 1;
    while (end < group.size() && end - first < kAdamTensors && group[end].param.dtype() == dtype) {
      ++end;
    }
    std::span<const AdamTensors> run = group.subspan(first, end - first);
    if (dtype == kFloat32 || dtype == kFloat16 || dtype == kBFloat16) {
      adam_dispatch(run, step);
    } else {
      on_host(run);
    }
  }
}

void VulkanBackend::adam_dispatch(std::span<const AdamTensors> group, const AdamStep& step) {
  std::vector<uint32_t> table;
  uint32_t groups = 0;
  for (const AdamTensors& t : group) {
    uint32_t n = static_cast<uint32_t>(t.param.numel());
    table.insert(table.end(), {groups, n, offset_of(t.param), offset_of(t.exp_avg),
                               offset_of(t.exp_avg_sq), offset_of(t.grad)});
    groups += (n + kWorkgroup - 1) / kWorkgroup;
  }
  if (groups == 0) return;
  std::shared_ptr<Storage> table_storage = allocate(table.size() * sizeof(uint32_t));
  auto* table_buffer = static_cast<Allocation*>(table_storage->data());
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stream_.update(table_buffer, table.data(), table.size() * sizeof(uint32_t));
  }
  // Unused array slots repeat the first parameter's buffers: every slot must be valid.
  std::vector<BufferUse> buffers;
  auto add = [&](Tensor AdamTensors::*member, bool write) {
    for (uint32_t i = 0; i < kAdamTensors; ++i) {
      const AdamTensors& t = group[i < group.size() ? i : 0];
      buffers.push_back({allocation_of(t.*member), write});
    }
  };
  add(&AdamTensors::param, true);
  add(&AdamTensors::exp_avg, true);
  add(&AdamTensors::exp_avg_sq, true);
  add(&AdamTensors::grad, false);
  buffers.push_back({table_buffer, false});
  AdamPush push{static_cast<uint32_t>(group.size()),
                static_cast<float>(step.beta1),
                static_cast<float>(step.beta2),
                static_cast<float>(step.weight_decay),
                static_cast<float>(1 - step.lr * step.weight_decay),
                static_cast<float>(step.lr / (1 - std::pow(step.beta1, step.step))),
                static_cast<float>(std::sqrt(1 - std::pow(step.beta2, step.step))),
                static_cast<float>(step.eps)};
  DType dtype = group[0].param.dtype();
  const uint32_t constants[] = {kWorkgroup, static_cast<uint32_t>(dtype),
                                step.decoupled_weight_decay ? 1u : 0u};
  const uint32_t counts[] = {kAdamTensors, kAdamTensors, kAdamTensors, kAdamTensors, 1};
  static_assert(4 * kAdamTensors + 1 <= kAdamDescriptors);
  launch(pick(shaders::optim, dtype, context_.features()), constants, counts, buffers, &push,
         sizeof push, groups_for(groups, 1));
}

}  // namespace ember::vulkan
