// The Vulkan backend: every primitive of core/backend.h on one Vulkan device.
//
// Kernels live in the files named as in src/backend/cpu/ (copy.cpp, reduce.cpp, ...) and
// their shaders in shaders/. A primitive without a kernel for some input runs on the CPU
// through fallback.cpp (EMBER_FALLBACK=warn|error|silent).
#pragma once

#include <functional>
#include <initializer_list>
#include <mutex>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "backend/vulkan/allocator.h"
#include "backend/vulkan/context.h"
#include "backend/vulkan/pipelines.h"
#include "backend/vulkan/stream.h"
#include "core/backend.h"
#include "core/tensor_impl.h"

namespace ember::vulkan {

// Workgroup size of the elementwise and row kernels (specialization constant 0).
inline constexpr uint32_t kWorkgroup = 256;
static_assert(kWorkgroup <= kMaxWorkgroupInvocations);
// Vulkan guarantees 65,535 workgroups per axis; larger launches spread over y.
inline constexpr uint32_t kMaxGroupsPerAxis = 65535;

inline Allocation* allocation_of(const Tensor& t) {
  return static_cast<Allocation*>(t.impl()->storage()->data());
}
inline BufferUse reads(const Tensor& t) { return {allocation_of(t), false}; }
inline BufferUse writes(const Tensor& t) { return {allocation_of(t), true}; }

// Workgroups for one invocation per item, kWorkgroup items per group.
Groups groups_for(uint64_t items, uint32_t per_group = kWorkgroup);

class VulkanBackend final : public Backend {
 public:
  explicit VulkanBackend(int index);
  const char* name() const override { return "vulkan"; }

  std::shared_ptr<Storage> allocate(size_t nbytes) override;
  void write(const Storage& dst, size_t dst_offset, const void* src, size_t nbytes) override;
  void read(const Storage& src, size_t src_offset, void* dst, size_t nbytes) override;
  void synchronize() override;
  MemoryStats memory_stats() override;
  void reset_peak_memory() override;
  void empty_cache() override;

  void copy(const Tensor& src, const Tensor& dst) override;
  void fill(const Tensor& dst, Scalar value) override;

  void unary(UnaryOp op, const Tensor& x, const Tensor& out) override;
  void binary(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out) override;
  void binary_scalar(BinaryOp op, const Tensor& a, Scalar b, bool scalar_first,
                     const Tensor& out) override;
  void where(const Tensor& condition, const Tensor& a, const Tensor& b, const Tensor& out) override;
  void clamp(const Tensor& x, Scalar min, Scalar max, const Tensor& out) override;

  void reduce(ReduceOp op, const Tensor& x, const std::vector<int64_t>& dims,
              const Tensor& out) override;
  void cumsum(const Tensor& x, int64_t dim, const Tensor& out) override;
  void softmax(const Tensor& x, int64_t dim, bool log, const Tensor& out) override;

  void matmul(const Tensor& a, const Tensor& b, const Tensor& out) override;

  void index_select(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& out) override;
  void gather(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& out) override;
  void scatter_add(const Tensor& out, int64_t dim, const Tensor& index, const Tensor& src) override;
  void index_add(const Tensor& out, int64_t dim, const Tensor& index, const Tensor& src) override;

  void random(Distribution distribution, uint64_t seed, uint64_t offset, double a, double b,
              const Tensor& out) override;

  void layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps,
                  const Tensor& out, const Tensor& mean, const Tensor& rstd) override;
  void layer_norm_backward(const Tensor& grad_out, const Tensor& x, const Tensor& weight,
                           const Tensor& mean, const Tensor& rstd, const Tensor& grad_x) override;

  void cross_entropy(const Tensor& logits, const Tensor& target, int64_t ignore_index,
                     double label_smoothing, const Tensor& losses) override;
  void cross_entropy_backward(const Tensor& logits, const Tensor& target, int64_t ignore_index,
                              double label_smoothing, const Tensor& grad_losses,
                              const Tensor& grad_logits) override;

  void adam_step(std::span<const AdamTensors> group, const AdamStep& step) override;

  // ---- for the kernels ----
  const Context& context() const { return context_; }
  const Device& device() const { return device_; }
  const Stream& stream() const { return stream_; }
  // Records one dispatch of shader (created with these specialization constants).
  void launch(ShaderId shader, std::span<const uint32_t> constants,
              std::initializer_list<BufferUse> buffers, const void* push, uint32_t push_bytes,
              Groups groups);
  // The same for shaders whose binding i is an array of counts[i] buffers; buffers lists
  // them binding after binding.
  void launch(ShaderId shader, std::span<const uint32_t> constants,
              std::span<const uint32_t> counts, std::span<const BufferUse> buffers,
              const void* push, uint32_t push_bytes, Groups groups);
  void launch(ShaderId shader, std::initializer_list<uint32_t> constants,
              std::initializer_list<BufferUse> buffers, const void* push, uint32_t push_bytes,
              Groups groups) {
    launch(shader, std::span<const uint32_t>(constants.begin(), constants.size()), buffers, push,
           push_bytes, groups);
  }
  // The same for a shader that checks its input on the device and reports through
  // device_checks() into the slot that goes into its push constants.
  void launch_checked(ShaderId shader, std::initializer_list<uint32_t> constants,
                      std::initializer_list<BufferUse> buffers, const void* push,
                      uint32_t push_bytes, Groups groups, CheckedLaunch checked);
  // Runs a primitive on the CPU: tensors are copied to host mirrors, `run` gets the
  // mirrors in the same order, and the storages of `outputs` are copied back.
  void fallback(const char* op, const std::vector<Tensor>& tensors, size_t outputs,
                const std::function<void(Backend& cpu, const std::vector<Tensor>& host)>& run);
  // The buffer where kernels report bad input found on the device (shaders/checks.glsl).
  // Each dispatch has a slot of its own, so it takes part in no hazard tracking.
  BufferUse device_checks() const { return {checks_.slots(), false}; }
  // The primitives that have run through the CPU fallback so far, for tests.
  std::set<std::string> fallen_back() const;

 private:
  void release(Allocation* allocation);
  // A copy or fill about to overwrite all of dst's storage: an error found earlier no
  // longer concerns it (device_checks.h).
  void clear_marks_if_whole(const Tensor& dst);
  void adam_dispatch(std::span<const AdamTensors> group, const AdamStep& step);
  void cross_entropy_launch(const Tensor& logits, const Tensor& target, int64_t ignore_index,
                            double label_smoothing, const Tensor& grad_losses, const Tensor& out,
                            bool backward);
  static void release_storage(void* data, size_t nbytes, void* backend);

  Device device_;
  Context context_;
  Stream stream_;
  Allocator memory_;
  Allocator staging_;
  Pipelines pipelines_;
  DeviceChecks checks_;
  mutable std::mutex mutex_;
  std::set<std::string> fallen_back_;
};

// The backend of vulkan:index, opened on first use and kept for the life of the process.
VulkanBackend& backend(int index);

}  // namespace ember::vulkan
