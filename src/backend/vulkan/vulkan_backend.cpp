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
      checks_(staging_.allocate(sizeof(uint32_t) * 4)) {
  std::memset(checks_->mapped, 0, sizeof(uint32_t) * 4);
}

// The codes of shaders' report_error calls.
enum class DeviceCheck : uint32_t { None = 0, Target = 1, Index = 2 };

void VulkanBackend::raise_device_errors() {
  // Kernels still running may be writing the report; it is read once they have finished.
  if (stream_.completed_serial() < checks_->last_use) return;
  auto* words = reinterpret_cast<uint32_t*>(checks_->mapped);
  if (words[0] == 0) return;
  auto check = static_cast<DeviceCheck>(words[0]);
  int64_t value = static_cast<int64_t>(uint64_t{words[1]} | uint64_t{words[2]} << 32);
  uint32_t bound = words[3];
  std::memset(words, 0, sizeof(uint32_t) * 4);
  if (check == DeviceCheck::Target) {
    detail::fail("cross_entropy", "target ", value, " is out of range for ", bound,
                 " classes (found on ", device_, ")");
  }
  detail::fail("index", "index ", value, " is out of range for a dim of size ", bound,
               " (found on ", device_, ")");
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
  if (target->mapped != nullptr) {
    stream_.wait_for(target->last_use);
    std::memcpy(target->mapped + dst_offset, src, nbytes);
    return;
  }
  Allocation* staging = staging_.allocate(nbytes);
  stream_.wait_for(staging->last_use);  // the range may still feed an earlier copy
  std::memcpy(staging->mapped, src, nbytes);
  stream_.copy(staging, 0, target, dst_offset, nbytes);
  staging_.release(staging);
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
  raise_device_errors();
}

void VulkanBackend::synchronize() {
  std::lock_guard<std::mutex> lock(mutex_);
  stream_.wait_idle();
  raise_device_errors();
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

void VulkanBackend::launch(std::string_view shader, std::span<const uint32_t> constants,
                           std::initializer_list<BufferUse> buffers, const void* push,
                           uint32_t push_bytes, Groups groups) {
  static constexpr uint32_t kOnes[kMaxBindings] = {1, 1, 1, 1, 1, 1, 1, 1};
  EMBER_CHECK(buffers.size() <= kMaxBindings, "vulkan", "too many buffers for one kernel");
  launch(shader, constants, std::span<const uint32_t>(kOnes, buffers.size()),
         std::span<const BufferUse>(buffers.begin(), buffers.size()), push, push_bytes, groups);
}

void VulkanBackend::launch(std::string_view shader, std::span<const uint32_t> constants,
                           std::span<const uint32_t> counts, std::span<const BufferUse> buffers,
                           const void* push, uint32_t push_bytes, Groups groups) {
  std::lock_guard<std::mutex> lock(mutex_);
  const Pipeline& pipeline = pipelines_.get(shader, constants, counts);
  stream_.dispatch(pipeline, buffers, push, push_bytes, groups);
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
