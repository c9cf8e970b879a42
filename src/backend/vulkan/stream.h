// The Vulkan stream: ops are recorded into an open command buffer that is submitted in
// batches; the host waits only when it needs a result.
//
// Each command buffer is a "submission" with a serial number. An allocation remembers the
// serial of the last submission that used it, so a host read or write waits for exactly
// that submission; GPU work that reuses a freed range is ordered by barriers instead.
// Barriers are recorded only where a dispatch touches a buffer that an earlier dispatch
// since the last barrier wrote (or writes one that it read): each barrier starts a new
// epoch, and an allocation remembers the epochs of its last read and write.
#pragma once

#include <vulkan/vulkan.h>

#include <cstdint>
#include <deque>
#include <span>
#include <vector>

#include "backend/vulkan/allocator.h"
#include "backend/vulkan/context.h"
#include "backend/vulkan/device_checks.h"

namespace ember::vulkan {

struct Pipeline;

struct Groups {
  uint32_t x = 1, y = 1, z = 1;
};

// A dispatch that checks its input on the device: the slot it reports into
// (device_checks.h) goes into its push constants at slot_offset.
struct CheckedLaunch {
  uint32_t slot_offset;
  CheckContext context;
};

class Stream {
 public:
  explicit Stream(const Context& context);
  ~Stream();
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  // Errors found on the device are read from `checks` as submissions retire.
  void set_checks(DeviceChecks* checks) { checks_ = checks; }

  // Records one compute dispatch; buffers bind to bindings 0, 1, ... in order.
  void dispatch(const Pipeline& pipeline, std::span<const BufferUse> buffers, const void* push,
                uint32_t push_bytes, Groups groups, CheckedLaunch* checked = nullptr);
  void copy(Allocation* src, VkDeviceSize src_offset, Allocation* dst, VkDeviceSize dst_offset,
            VkDeviceSize nbytes);
  void fill(Allocation* dst, uint32_t word);
  // Writes nbytes (a multiple of 4, at most 65,536) from data into dst, in stream order.
  void update(Allocation* dst, const void* data, VkDeviceSize nbytes);

  // Submits the open command buffer if it holds work.
  void flush();
  // Waits until the submission with this serial has finished (flushing it if it is open).
  void wait_for(uint64_t serial);
  void wait_idle() { wait_for(open_serial_); }

  uint64_t completed_serial() const { return completed_; }
  // The range is freed, or the host is about to write all of it.
  void forget(Allocation& allocation) noexcept { checks_->forget(allocation); }
  // Barriers recorded so far (the current epoch).
  uint64_t barriers() const { return epoch_; }
  // Whether work recorded since the open command buffer's last barrier reads or writes it.
  bool used_since_barrier(const Allocation& allocation) const {
    return allocation.read_epoch == epoch_ || allocation.written_epoch == epoch_;
  }

 private:
  struct Submission {
    VkCommandBuffer commands = VK_NULL_HANDLE;
    VkDescriptorPool descriptors = VK_NULL_HANDLE;
    VkFence fence = VK_NULL_HANDLE;
    uint64_t serial = 0;
  };

  void begin();
  void make_room();
  void record_uses(std::span<const BufferUse> uses, const CheckContext* checked = nullptr);
  void barrier(VkPipelineStageFlags dst_stage, VkAccessFlags dst_access);
  VkDescriptorSet descriptor_set(const Pipeline& pipeline);
  void retire(Submission& submission);
  Submission fresh_submission();

  const Context& context_;
  DeviceChecks* checks_ = nullptr;
  VkCommandPool pool_ = VK_NULL_HANDLE;
  Submission open_;
  uint32_t ops_in_open_ = 0;
  VkPipeline bound_pipeline_ = VK_NULL_HANDLE;  // in the open command buffer
  uint32_t max_ops_per_submit_;
  std::deque<Submission> in_flight_;
  std::vector<Submission> spare_;
  uint64_t open_serial_ = 1;
  uint64_t completed_ = 0;
  // Counts barriers; allocations note the epoch of their last read and write.
  uint64_t epoch_ = 0;
};

}  // namespace ember::vulkan
