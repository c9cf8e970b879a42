#include "backend/cpu/cpu_backend.h"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <unordered_map>

#include "core/check.h"
#include "core/sizes.h"
#include "ember/ops.h"

namespace ember {

namespace cpu {

namespace {
// Cache-line alignment keeps vector loads aligned and threads off each other's lines.
constexpr size_t kAlignment = 64;
constexpr size_t kSmallBlock = 1024;
// Blocks from this size on come back to a cache when freed: a training step asks for the
// same sizes again and again, and fresh pages from the kernel cost a fault each.
constexpr size_t kCachedBlock = size_t{256} << 10;
constexpr size_t kCacheLimit = size_t{1} << 30;

size_t rounded_size(size_t nbytes) {
  return checked_round_up(std::max<size_t>(nbytes, 1), kAlignment, "cpu");
}

// Freed large blocks by size. Shared by every thread (the data loader allocates too).
class BlockCache {
 public:
  void* take(size_t size) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto found = blocks_.find(size);
    if (found == blocks_.end()) return nullptr;
    void* data = found->second;
    blocks_.erase(found);
    cached_.fetch_sub(size, std::memory_order_relaxed);
    return data;
  }
  // Keeps data unless that would hold more than kCacheLimit; then frees it.
  void give(void* data, size_t size) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (cached_.load(std::memory_order_relaxed) + size <= kCacheLimit) {
        blocks_.emplace(size, data);
        cached_.fetch_add(size, std::memory_order_relaxed);
        return;
      }
    }
    std::free(data);
  }
  void clear() {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& [size, data] : blocks_) std::free(data);
    blocks_.clear();
    cached_.store(0, std::memory_order_relaxed);
  }
  // Read without the lock, so that memory_stats never waits on an allocation.
  size_t cached() const { return cached_.load(std::memory_order_relaxed); }

 private:
  std::mutex mutex_;
  std::unordered_multimap<size_t, void*> blocks_;
  std::atomic<size_t> cached_ = 0;
};

// Bytes held by live storages. Atomics rather than a lock: every thread allocates, and
// small blocks must stay as cheap as malloc.
class Usage {
 public:
  void add(size_t size) {
    size_t now = allocated_.fetch_add(size, std::memory_order_relaxed) + size;
    size_t peak = peak_.load(std::memory_order_relaxed);
    while (peak < now && !peak_.compare_exchange_weak(peak, now, std::memory_order_relaxed)) {
    }
  }
  void remove(size_t size) { allocated_.fetch_sub(size, std::memory_order_relaxed); }
  size_t allocated() const { return allocated_.load(std::memory_order_relaxed); }
  size_t peak() const { return peak_.load(std::memory_order_relaxed); }
  void reset_peak() { peak_.store(allocated(), std::memory_order_relaxed); }

 private:
  std::atomic<size_t> allocated_ = 0;
  std::atomic<size_t> peak_ = 0;
};

// Never destroyed: storages may outlive statics.
BlockCache& block_cache() {
  static BlockCache* cache = new BlockCache;
  return *cache;
}
Usage& usage() {
  static Usage* counters = new Usage;
  return *counters;
}

// A deleter must not throw, and allocate already checked that this rounding fits.
size_t allocated_size(size_t nbytes) noexcept {
  return (std::max<size_t>(nbytes, 1) + kAlignment - 1) & ~(kAlignment - 1);
}

void release(void* data, size_t nbytes, void* /*context*/) noexcept {
  size_t size = allocated_size(nbytes);
  usage().remove(size);
  if (size >= kCachedBlock) {
    block_cache().give(data, size);
  } else {
    std::free(data);
  }
}

void* fresh_block(size_t size) {
  // Small blocks skip aligned_alloc: glibc's memalign path costs more than the op.
  if (size <= kSmallBlock) return std::malloc(size);
  if (size >= kCachedBlock) {
    if (void* reused = block_cache().take(size)) return reused;
  }
  return std::aligned_alloc(kAlignment, size);
}

// Tests set EMBER_POISON_MEMORY=1: fresh memory then reads as NaN (or -1), so an
// element that a kernel forgets to write cannot pass for a correct zero.
bool poison_memory() {
  static const bool poison = std::getenv("EMBER_POISON_MEMORY") != nullptr;
  return poison;
}
}  // namespace

std::shared_ptr<Storage> CpuBackend::allocate(size_t nbytes) {
  size_t rounded = rounded_size(nbytes);
  void* data = fresh_block(rounded);
  EMBER_CHECK(data != nullptr, "cpu", "out of memory: the system refused ", rounded, " bytes");
  if (poison_memory()) std::memset(data, 0xff, rounded);
  usage().add(rounded);
  return std::make_shared<Storage>(kCPU, nbytes, data, &release, nullptr);
}

MemoryStats CpuBackend::memory_stats() {
  size_t allocated = usage().allocated();
  return {allocated, allocated + block_cache().cached(), usage().peak()};
}

void CpuBackend::reset_peak_memory() { usage().reset_peak(); }

void CpuBackend::empty_cache() { block_cache().clear(); }

void CpuBackend::write(const Storage& dst, size_t dst_offset, const void* src, size_t nbytes) {
  std::memcpy(static_cast<char*>(dst.data()) + dst_offset, src, nbytes);
}

void CpuBackend::read(const Storage& src, size_t src_offset, void* dst, size_t nbytes) {
  std::memcpy(dst, static_cast<const char*>(src.data()) + src_offset, nbytes);
}

}  // namespace cpu

Backend& cpu_backend() {
  static cpu::CpuBackend backend;
  return backend;
}

void set_num_threads(int threads) {
  EMBER_CHECK(threads > 0, "set_num_threads", "expects a positive count, got ", threads);
  omp_set_num_threads(threads);
}

int get_num_threads() { return omp_get_max_threads(); }

}  // namespace ember
