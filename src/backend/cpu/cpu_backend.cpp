#include "backend/cpu/cpu_backend.h"

#include <omp.h>

#include <cstdlib>
#include <cstring>

#include "core/check.h"
#include "ember/ops.h"

namespace ember {

namespace cpu {

namespace {
// Cache-line alignment keeps vector loads aligned and threads off each other's lines.
constexpr size_t kAlignment = 64;
constexpr size_t kSmallBlock = 1024;

void free_aligned(void* data, void* /*context*/) { std::free(data); }

// Tests set EMBER_POISON_MEMORY=1: fresh memory then reads as NaN (or -1), so an
// element that a kernel forgets to write cannot pass for a correct zero.
bool poison_memory() {
  static const bool poison = std::getenv("EMBER_POISON_MEMORY") != nullptr;
  return poison;
}
}  // namespace

std::shared_ptr<Storage> CpuBackend::allocate(size_t nbytes) {
  size_t rounded = (std::max<size_t>(nbytes, 1) + kAlignment - 1) / kAlignment * kAlignment;
  // Small blocks skip aligned_alloc: glibc's memalign path costs more than the op.
  void* data =
      rounded <= kSmallBlock ? std::malloc(rounded) : std::aligned_alloc(kAlignment, rounded);
  EMBER_CHECK(data != nullptr, "cpu", "out of memory allocating ", nbytes, " bytes");
  if (poison_memory()) std::memset(data, 0xff, rounded);
  return std::make_shared<Storage>(kCPU, nbytes, data, &free_aligned, nullptr);
}

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
