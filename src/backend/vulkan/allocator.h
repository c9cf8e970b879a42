// The Vulkan caching allocator: tensors get ranges of large VkDeviceMemory blocks.
//
// Requests up to 1 MiB are rounded to a power of two and carved from 16 MiB slabs;
// larger ones are rounded to 2 MiB and get a block of their own. Freed ranges go to a
// free list per size and are handed out again without calling the driver, as a
// training step asks for the same sizes every time.
//
// A range may be handed out again while work that used it is still in flight: later GPU
// work is ordered after it by the stream's barriers, and the host waits for the range's
// last_use before it reads or writes the memory itself. A small range that work recorded
// since the stream's last barrier still uses is passed over while the current slab has
// room, since reusing it would cost a barrier between ops that are otherwise independent.
#pragma once

#include <vulkan/vulkan.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "backend/vulkan/context.h"
#include "ember/device.h"
#include "ember/error.h"

namespace ember::vulkan {

struct Block;
class Stream;

// A range of device memory: what Storage::data() points to for a Vulkan tensor.
struct Allocation {
  VkBuffer buffer = VK_NULL_HANDLE;  // the block's buffer; bind it at `offset`
  VkDeviceSize offset = 0;
  VkDeviceSize size = 0;   // rounded size
  char* mapped = nullptr;  // host address when the memory is mapped
  uint64_t last_use = 0;   // serial of the last submission that touched it (kept on reuse)
  // The stream's barrier epochs of the last read and write of the range (kept on reuse).
  uint64_t read_epoch = 0, written_epoch = 0;
  Block* block = nullptr;
  // For errors found on the device (device_checks.h): the latest submission with a checked
  // dispatch whose output flowed into the range, and the error that poisoned it.
  uint64_t taint = 0;
  std::shared_ptr<const Error> poison;
  // While the range is in use, its node of the allocator's free list, so that releasing it
  // cannot allocate: the next free small range of its size, or the large range's map node.
  Allocation* next_free = nullptr;
  std::multimap<VkDeviceSize, Allocation*>::node_type free_node;
};

// Free small ranges of one size, oldest first, linked through the ranges themselves.
class FreeList {
 public:
  bool empty() const { return oldest_ == nullptr; }
  Allocation* front() const { return oldest_; }
  void push_back(Allocation* allocation) noexcept;
  Allocation* pop_front() noexcept;
  // Unlinks the ranges of blocks that hold no live range.
  void drop_unused() noexcept;

 private:
  Allocation* oldest_ = nullptr;
  Allocation* newest_ = nullptr;
};

struct BufferUse {
  Allocation* allocation;
  bool write;
};

enum class MemoryKind : uint8_t {
  Device,   // where tensors live; host-visible too when the memory is unified
  Staging,  // host-visible, for copies to and from device-only memory
};

// Sizes of small ranges: 256 bytes to 1 MiB in powers of two.
inline constexpr VkDeviceSize kMinSmall = 256;  // above every minStorageBufferOffsetAlignment
inline constexpr VkDeviceSize kMaxSmall = VkDeviceSize{1} << 20;
inline constexpr size_t kSmallSizes = 13;

// The bytes a setting of EMBER_VULKAN_MEMORY_LIMIT allows: a count of bytes with an
// optional K, M or G suffix, or a decimal with one ("1.5G"); 0 (no limit) for null or
// empty. Anything else, and a limit of 2^64 bytes or more, raises ember::Error.
size_t parse_memory_limit(const char* setting);

class Allocator {
 public:
  // The stream's work may use ranges this allocator hands out; it is waited for before
  // memory goes back to the driver.
  Allocator(const Context& context, MemoryKind kind, const Device& device, Stream& stream);
  ~Allocator();
  Allocator(const Allocator&) = delete;
  Allocator& operator=(const Allocator&) = delete;

  // Raises ember::Error when the request exceeds a device limit or memory runs out.
  Allocation* allocate(size_t nbytes);
  // The range is free for reuse: the caller has made sure no pending work uses it. Allocates
  // nothing, so that a Storage's deleter cannot throw.
  void release(Allocation* allocation) noexcept;
  // Returns cached blocks that hold no live range to the driver.
  void empty_cache();

  MemoryStats stats() const { return {allocated_, reserved_, peak_}; }
  void reset_peak() { peak_ = allocated_; }

 private:
  Allocation* carve_small(VkDeviceSize size);
  Allocation* take_large(VkDeviceSize size);
  Block* new_block(VkDeviceSize size);
  void destroy_block(Block* block);
  [[noreturn]] void out_of_memory(size_t nbytes) const;

  const Context& context_;
  Device device_;
  Stream& stream_;
  uint32_t memory_type_ = 0;
  bool host_visible_ = false;
  size_t limit_ = 0;  // 0: none
  std::vector<std::unique_ptr<Block>> blocks_;
  // One list per power-of-two size, oldest first: a range freed a moment ago may still be
  // in use since the stream's last barrier, and reusing it would add a barrier between
  // independent ops.
  std::array<FreeList, kSmallSizes> free_small_;
  std::multimap<VkDeviceSize, Allocation*> free_large_;
  Block* current_slab_ = nullptr;
  size_t allocated_ = 0, reserved_ = 0, peak_ = 0;
};

}  // namespace ember::vulkan
