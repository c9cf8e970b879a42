#include "backend/vulkan/vulkan_backend.h"

#include <cstdlib>
#include <cstring>
#include <map>

#include "core/check.h"

namespace ember::vulkan {

namespace {

// Tests set EMBER_POISON_MEMORY=1: fresh memory then reads as NaN (or -1), as on the CPU.
bool poison_memory() {
  static const bool poison = std::getenv("EMBER_POISON_MEMORY") != nullptr;
  return poison;
}

// The counts of a kernel that binds one buffer per binding.
std::span<const uint32_t> one_buffer_per_binding(size_t buffers) {
  static constexpr uint32_t kOnes[kMaxBindings] = {1, 1, 1, 1, 1, 1, 1, 1};
  EMBER_CHECK(buffers <= kMaxBindings, "vulkan", "a kernel binds at most ", kMaxBindings,
              " buffers, got ", buffers);
  return {kOnes, buffers};
}

}  // namespace

Groups groups_for(uint64_t items, uint32_t per_group) {
  uint64_t groups = (items + per_group - 1) / per_group;
  if (groups <= kMaxGroupsPerAxis) return {static_cast<uint32_t>(std::max<uint64_t>(groups, 1)), 1};
  uint64_t rows = (groups + kMaxGroupsPerAxis - 1) / kMaxGroupsPerAxis;
  EMBER_CHECK(rows <= kMaxGroupsPerAxis, "vulkan", "a launch of ", items, " items is too large");
  return {kMaxGroupsPerAxis, static_cast<uint32_t>(rows)};
}

VulkanBackend::VulkanBackend(int index)
    : device_(DeviceType::Vulkan, index),
      context_(index),
      stream_(context_),
      memory_(context_, MemoryKind::Device, device_, stream_),
      staging_(context_, MemoryKind::Staging, device_, stream_),
      pipelines_(context_),
      checks_(staging_.allocate(sizeof(uint32_t) * DeviceChecks::kSlotWords * DeviceChecks::kSlots),
              device_) {
  stream_.set_checks(&checks_);
}

void VulkanBackend::release_storage(void* data, size_t /*nbytes*/, void* backend) {
  static_cast<VulkanBackend*>(backend)->release(static_cast<Allocation*>(data));
}

void VulkanBackend::release(Allocation* allocation) {
  std::lock_guard<std::mutex> lock(mutex_);
  memory_.release(allocation);
}

std::shared_ptr<Storage> VulkanBackend::allocate(size_t nbytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  Allocation* allocation = memory_.allocate(nbytes);
  if (poison_memory()) stream_.fill(allocation, 0xffffffffu);
  return std::make_shared<Storage>(device_, nbytes, allocation, &release_storage, this);
}

void VulkanBackend::write(const Storage& dst, size_t dst_offset, const void* src, size_t nbytes) {
  if (nbytes == 0) return;
  std::lock_guard<std::mutex> lock(mutex_);
  auto* target = static_cast<Allocation*>(dst.data());
  bool whole = dst_offset == 0 && nbytes == dst.nbytes();
  if (target->mapped != nullptr) {
    stream_.wait_for(target->last_use);
    std::memcpy(target->mapped + dst_offset, src, nbytes);
  } else {
    Allocation* staging = staging_.allocate(nbytes);
    stream_.wait_for(staging->last_use);  // the range may still feed an earlier copy
    std::memcpy(staging->mapped, src, nbytes);
    stream_.copy(staging, 0, target, dst_offset, nbytes);
    staging_.release(staging);
  }
  // New contents from the host owe nothing to an earlier error on the device.
  if (whole) stream_.forget(*target);
}

void VulkanBackend::read(const Storage& src, size_t src_offset, void* dst, size_t nbytes) {
  if (nbytes == 0) return;
  std::lock_guard<std::mutex> lock(mutex_);
  auto* source = static_cast<Allocation*>(src.data());
  if (source->mapped != nullptr) {
    stream_.wait_for(source->last_use);
    std::memcpy(dst, source->mapped + src_offset, nbytes);
  } else {
    Allocation* staging = staging_.allocate(nbytes);
    stream_.copy(source, src_offset, staging, 0, nbytes);
    stream_.wait_for(staging->last_use);
    std::memcpy(dst, staging->mapped, nbytes);
    staging_.release(staging);
  }
  checks_.raise_pending();
  DeviceChecks::raise_if_poisoned(*source);
}

void VulkanBackend::synchronize() {
  std::lock_guard<std::mutex> lock(mutex_);
  stream_.wait_idle();
  checks_.raise_pending();
}

MemoryStats VulkanBackend::memory_stats() {
  std::lock_guard<std::mutex> lock(mutex_);
  return memory_.stats();
}

void VulkanBackend::reset_peak_memory() {
  std::lock_guard<std::mutex> lock(mutex_);
  memory_.reset_peak();
}

void VulkanBackend::empty_cache() {
  std::lock_guard<std::mutex> lock(mutex_);
  memory_.empty_cache();
  staging_.empty_cache();
}

void VulkanBackend::launch(ShaderId shader, std::span<const uint32_t> constants,
                           std::initializer_list<BufferUse> buffers, const void* push,
                           uint32_t push_bytes, Groups groups) {
  launch(shader, constants, one_buffer_per_binding(buffers.size()),
         std::span<const BufferUse>(buffers.begin(), buffers.size()), push, push_bytes, groups);
}

void VulkanBackend::launch(ShaderId shader, std::span<const uint32_t> constants,
                           std::span<const uint32_t> counts, std::span<const BufferUse> buffers,
                           const void* push, uint32_t push_bytes, Groups groups) {
  std::lock_guard<std::mutex> lock(mutex_);
  const Pipeline& pipeline = pipelines_.get(shader, constants, counts);
  stream_.dispatch(pipeline, buffers, push, push_bytes, groups);
}

void VulkanBackend::launch_checked(ShaderId shader, std::initializer_list<uint32_t> constants,
                                   std::initializer_list<BufferUse> buffers, const void* push,
                                   uint32_t push_bytes, Groups groups, CheckedLaunch checked) {
  std::span<const uint32_t> counts = one_buffer_per_binding(buffers.size());
  std::lock_guard<std::mutex> lock(mutex_);
  const Pipeline& pipeline = pipelines_.get(
      shader, std::span<const uint32_t>(constants.begin(), constants.size()), counts);
  stream_.dispatch(pipeline, std::span<const BufferUse>(buffers.begin(), buffers.size()), push,
                   push_bytes, groups, &checked);
}

VulkanBackend& backend(int index) {
  // Every op asks; backends live for the whole process, so each thread may keep the last.
  thread_local VulkanBackend* last = nullptr;
  if (last != nullptr && last->device().index() == index) return *last;
  static std::mutex mutex;
  static auto* backends = new std::map<int, VulkanBackend*>;  // kept: tensors outlive statics
  std::lock_guard<std::mutex> lock(mutex);
  auto found = backends->find(index);
  if (found == backends->end()) found = backends->emplace(index, new VulkanBackend(index)).first;
  last = found->second;
  return *last;
}

}  // namespace ember::vulkan
