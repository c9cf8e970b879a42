#include "backend/vulkan/allocator.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "backend/vulkan/stream.h"
#include "core/check.h"
#include "core/excerpt.h"
#include "core/sizes.h"

namespace ember::vulkan {

namespace {

static_assert(kMinSmall << (kSmallSizes - 1) == kMaxSmall);
constexpr VkDeviceSize kSlabSize = VkDeviceSize{16} << 20;
constexpr VkDeviceSize kLargeGranule = VkDeviceSize{2} << 20;

std::string mib(size_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(bytes) / (1 << 20));
  return text;
}

// The value as a message quotes it, cut short when it is long.
std::string quoted(std::string_view text) {
  std::string out = "'" + excerpt(text) + "'";
  if (text.size() > kMaxQuotedChars) out += " (" + std::to_string(text.size()) + " characters)";
  return out;
}

[[noreturn]] void bad_memory_limit(std::string_view text, const char* why) {
  detail::fail("vulkan", "EMBER_VULKAN_MEMORY_LIMIT must be a size such as 512M or 2G (bytes, ",
               "or a number with a K, M or G suffix), got ", quoted(text), ": ", why);
}

uint64_t suffix_scale(char suffix) {
  switch (suffix) {
    case 'K':
    case 'k':
      return uint64_t{1} << 10;
    case 'M':
    case 'm':
      return uint64_t{1} << 20;
    case 'G':
    case 'g':
      return uint64_t{1} << 30;
    default:
      return 1;
  }
}

// Digits with at most one '.', and a digit somewhere: no sign, exponent, "inf" or "nan".
bool is_plain_number(std::string_view number) {
  bool digit = false, point = false;
  for (char c : number) {
    if (c == '.' && !point) {
      point = true;
    } else if (c >= '0' && c <= '9') {
      digit = true;
    } else {
      return false;
    }
  }
  return digit;
}

}  // namespace

size_t parse_memory_limit(const char* setting) {
  if (setting == nullptr || *setting == '\0') return 0;
  std::string_view text(setting), number = text;
  uint64_t scale = suffix_scale(text.back());
  if (scale != 1) number.remove_suffix(1);
  if (!is_plain_number(number)) bad_memory_limit(text, "not a number");
  constexpr double kTwoTo64 = 18446744073709551616.0;
  uint64_t bytes = 0;
  if (number.find('.') == std::string_view::npos) {
    uint64_t count = 0;
    auto [end, error] = std::from_chars(number.data(), number.data() + number.size(), count);
    if (error == std::errc::result_out_of_range || count > UINT64_MAX / scale) {
      bad_memory_limit(text, "larger than 2^64 bytes");
    }
    bytes = count * scale;
  } else {
    // A finite decimal: the digits are checked above, so strtod sees nothing else.
    double value = std::strtod(std::string(number).c_str(), nullptr) * static_cast<double>(scale);
    if (!(value < kTwoTo64)) bad_memory_limit(text, "larger than 2^64 bytes");
    bytes = static_cast<uint64_t>(value);
  }
  if (bytes == 0) bad_memory_limit(text, "the limit must be at least one byte");
  static_assert(sizeof(size_t) == sizeof(uint64_t));
  return static_cast<size_t>(bytes);
}

namespace {

size_t memory_limit() { return parse_memory_limit(std::getenv("EMBER_VULKAN_MEMORY_LIMIT")); }

int find_memory_type(const VkPhysicalDeviceMemoryProperties& memory, uint32_t allowed,
                     VkMemoryPropertyFlags required, VkMemoryPropertyFlags preferred) {
  int fallback = -1;
  for (uint32_t i = 0; i < memory.memoryTypeCount; ++i) {
    VkMemoryPropertyFlags flags = memory.memoryTypes[i].propertyFlags;
    if (!(allowed & (1u << i)) || (flags & required) != required) continue;
    if ((flags & preferred) == preferred) return static_cast<int>(i);
    if (fallback < 0) fallback = static_cast<int>(i);
  }
  return fallback;
}

VkBuffer create_buffer(VkDevice device, VkDeviceSize size) {
  VkBufferCreateInfo info{};
  info.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO;
  info.size = size;
  info.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
               VK_BUFFER_USAGE_TRANSFER_DST_BIT;
  info.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
  VkBuffer buffer = VK_NULL_HANDLE;
  check(vkCreateBuffer(device, &info, nullptr, &buffer), "vkCreateBuffer");
  return buffer;
}

}  // namespace

// One VkDeviceMemory with one buffer over all of it, and the ranges cut from it.
struct Block {
  VkDeviceMemory memory = VK_NULL_HANDLE;
  VkBuffer buffer = VK_NULL_HANDLE;
  VkDeviceSize size = 0;
  VkDeviceSize carved = 0;  // slabs cut ranges from the front
  char* mapped = nullptr;
  bool slab = false;
  int live = 0;
  std::vector<std::unique_ptr<Allocation>> ranges;
};

Allocator::Allocator(const Context& context, MemoryKind kind, const Device& device, Stream& stream)
    : context_(context),
      device_(device),
      stream_(stream),
      limit_(kind == MemoryKind::Device ? memory_limit() : 0) {
  VkBuffer probe = create_buffer(context.device(), kSlabSize);
  VkMemoryRequirements requirements;
  vkGetBufferMemoryRequirements(context.device(), probe, &requirements);
  vkDestroyBuffer(context.device(), probe, nullptr);
  constexpr VkMemoryPropertyFlags kHost =
      VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
  VkMemoryPropertyFlags required = VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT, preferred = required;
  if (kind == MemoryKind::Staging) {
    required = kHost;
    preferred = kHost | VK_MEMORY_PROPERTY_HOST_CACHED_BIT;  // fast host reads of results
  } else if (context.unified_memory()) {
    required = preferred = VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT | kHost;
  }
  int type = find_memory_type(context.memory(), requirements.memoryTypeBits, required, preferred);
  EMBER_CHECK(type >= 0, "vulkan", "no suitable memory type on ", context.name());
  memory_type_ = static_cast<uint32_t>(type);
  host_visible_ = (context.memory().memoryTypes[memory_type_].propertyFlags & kHost) == kHost;
}

Allocator::~Allocator() {
  for (auto& block : blocks_) destroy_block(block.get());
}

void FreeList::push_back(Allocation* allocation) noexcept {
  allocation->next_free = nullptr;
  (newest_ != nullptr ? newest_->next_free : oldest_) = allocation;
  newest_ = allocation;
}

Allocation* FreeList::pop_front() noexcept {
  Allocation* taken = oldest_;
  oldest_ = taken->next_free;
  if (oldest_ == nullptr) newest_ = nullptr;
  taken->next_free = nullptr;
  return taken;
}

void FreeList::drop_unused() noexcept {
  Allocation* kept = oldest_;
  oldest_ = newest_ = nullptr;
  while (kept != nullptr) {
    Allocation* next = kept->next_free;
    if (kept->block->live != 0) push_back(kept);
    kept = next;
  }
}

Allocation* Allocator::allocate(size_t nbytes) {
  VkDeviceSize max_range = context_.limits().maxStorageBufferRange;
  EMBER_CHECK(nbytes <= max_range, "vulkan", "a tensor of ", nbytes, " bytes (", mib(nbytes),
              ") is larger than ", context_.name(), " can bind: maxStorageBufferRange is ",
              max_range, " bytes");
  VkDeviceSize wanted = std::max<VkDeviceSize>(nbytes, 1);
  Allocation* allocation = wanted <= kMaxSmall
                               ? carve_small(std::bit_ceil(std::max(wanted, kMinSmall)))
                               : take_large(checked_round_up(wanted, kLargeGranule, "vulkan"));
  if (allocation == nullptr) out_of_memory(nbytes);
  ++allocation->block->live;
  allocated_ += allocation->size;
  peak_ = std::max(peak_, allocated_);
  return allocation;
}

Allocation* Allocator::carve_small(VkDeviceSize size) {
  auto& free_list = free_small_[std::countr_zero(size / kMinSmall)];
  // A range the open command buffer used since its last barrier would need another
  // barrier; a fresh one from the current slab needs none.
  bool slab_has_room =
      current_slab_ != nullptr && current_slab_->carved + size <= current_slab_->size;
  if (!free_list.empty() && !(slab_has_room && stream_.used_since_barrier(*free_list.front()))) {
    return free_list.pop_front();
  }
  if (!slab_has_room) {
    current_slab_ = new_block(kSlabSize);
    if (current_slab_ == nullptr) return nullptr;
    current_slab_->slab = true;
  }
  Block* slab = current_slab_;
  auto range = std::make_unique<Allocation>();
  range->buffer = slab->buffer;
  range->offset = slab->carved;
  range->size = size;
  range->mapped = slab->mapped != nullptr ? slab->mapped + slab->carved : nullptr;
  range->block = slab;
  slab->carved += size;
  slab->ranges.push_back(std::move(range));
  return slab->ranges.back().get();
}

Allocation* Allocator::take_large(VkDeviceSize size) {
  auto cached = free_large_.find(size);
  if (cached != free_large_.end()) {
    Allocation* reused = cached->second;
    reused->free_node = free_large_.extract(cached);
    return reused;
  }
  Block* block = new_block(size);
  if (block == nullptr) return nullptr;
  auto range = std::make_unique<Allocation>();
  range->buffer = block->buffer;
  range->size = size;
  range->mapped = block->mapped;
  range->block = block;
  range->free_node = free_large_.extract(free_large_.emplace(size, range.get()));
  block->ranges.push_back(std::move(range));
  return block->ranges.back().get();
}

// A fresh block, after emptying the cache if the limit or the driver demand it; null
// when memory is exhausted even then.
Block* Allocator::new_block(VkDeviceSize size) {
  // reserved_ never passes limit_, so limit_ - reserved_ cannot wrap.
  auto over_limit = [&] { return limit_ != 0 && size > limit_ - reserved_; };
  if (over_limit()) {
    empty_cache();
    if (over_limit()) return nullptr;
  }
  VkMemoryAllocateInfo info{};
  info.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO;
  info.allocationSize = size;
  info.memoryTypeIndex = memory_type_;
  VkDeviceMemory memory = VK_NULL_HANDLE;
  // Running out of allocations (maxMemoryAllocationCount) is out of memory too.
  auto exhausted = [](VkResult r) {
    return r == VK_ERROR_OUT_OF_DEVICE_MEMORY || r == VK_ERROR_OUT_OF_HOST_MEMORY ||
           r == VK_ERROR_TOO_MANY_OBJECTS;
  };
  VkResult result = vkAllocateMemory(context_.device(), &info, nullptr, &memory);
  if (exhausted(result)) {
    empty_cache();
    result = vkAllocateMemory(context_.device(), &info, nullptr, &memory);
    if (exhausted(result)) return nullptr;
  }
  check(result, "vkAllocateMemory");
  auto block = std::make_unique<Block>();
  block->memory = memory;
  block->size = size;
  block->buffer = create_buffer(context_.device(), size);
  check(vkBindBufferMemory(context_.device(), block->buffer, memory, 0), "vkBindBufferMemory");
  if (host_visible_) {
    void* mapped = nullptr;
    check(vkMapMemory(context_.device(), memory, 0, VK_WHOLE_SIZE, 0, &mapped), "vkMapMemory");
    block->mapped = static_cast<char*>(mapped);
  }
  reserved_ += size;
  blocks_.push_back(std::move(block));
  return blocks_.back().get();
}

void Allocator::release(Allocation* allocation) noexcept {
  stream_.forget(*allocation);
  --allocation->block->live;
  allocated_ -= allocation->size;
  if (allocation->block->slab) {
    free_small_[std::countr_zero(allocation->size / kMinSmall)].push_back(allocation);
  } else {
    free_large_.insert(std::move(allocation->free_node));
  }
}

void Allocator::empty_cache() {
  stream_.wait_idle();  // a cached range may still be named by work in flight
  for (FreeList& list : free_small_) list.drop_unused();
  std::erase_if(free_large_, [](const auto& entry) { return entry.second->block->live == 0; });
  std::erase_if(blocks_, [this](const std::unique_ptr<Block>& block) {
    if (block->live != 0) return false;
    if (block.get() == current_slab_) current_slab_ = nullptr;
    destroy_block(block.get());
    return true;
  });
}

void Allocator::destroy_block(Block* block) {
  reserved_ -= block->size;
  vkDestroyBuffer(context_.device(), block->buffer, nullptr);
  vkFreeMemory(context_.device(), block->memory, nullptr);
}

void Allocator::out_of_memory(size_t nbytes) const {
  std::string limit;
  if (limit_ != 0) {
    limit.append(", limit ").append(mib(limit_)).append(" (EMBER_VULKAN_MEMORY_LIMIT)");
  }
  detail::fail("vulkan", "out of memory on ", device_, " (", context_.name(), "): asked for ",
               mib(nbytes), ", ", mib(allocated_), " in use by tensors, ",
               mib(reserved_ - allocated_), " cached", limit,
               "; free tensors or call empty_cache()");
}

}  // namespace ember::vulkan
