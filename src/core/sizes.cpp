#include "core/sizes.h"

#include <unistd.h>

#include "core/check.h"

namespace ember {

int64_t checked_mul(int64_t a, int64_t b, const char* op, const char* what) {
  int64_t product = 0;
  EMBER_CHECK(!__builtin_mul_overflow(a, b, &product), op, what, " overflows: ", a, " * ", b,
              " does not fit in int64");
  return product;
}

int64_t checked_add(int64_t a, int64_t b, const char* op, const char* what) {
  int64_t sum = 0;
  EMBER_CHECK(!__builtin_add_overflow(a, b, &sum), op, what, " overflows: ", a, " + ", b,
              " does not fit in int64");
  return sum;
}

size_t checked_round_up(size_t n, size_t alignment, const char* op) {
  EMBER_CHECK(n <= SIZE_MAX - (alignment - 1), op, n,
              " bytes cannot be rounded up to a multiple of ", alignment);
  return (n + alignment - 1) & ~(alignment - 1);
}

int64_t checked_numel(const Shape& shape, const char* op) {
  int64_t numel = 1;
  int64_t nonzero_product = 1;
  for (int64_t size : shape) {
    EMBER_CHECK(size >= 0, op, "negative size in shape ", shape);
    EMBER_CHECK(!__builtin_mul_overflow(nonzero_product, size > 0 ? size : 1, &nonzero_product), op,
                "shape ", shape, " has more elements than an int64 counts");
    numel *= size;  // cannot overflow: |numel| <= nonzero_product
  }
  return numel;
}

size_t checked_nbytes(int64_t numel, DType dtype, const char* op) {
  EMBER_CHECK(numel >= 0, op, "negative element count ", numel);
  EMBER_CHECK(static_cast<uint64_t>(numel) <= kMaxTensorBytes / itemsize(dtype), op, numel, " ",
              dtype_name(dtype), " elements need more than the ", kMaxTensorBytes,
              " bytes a tensor may hold");
  return static_cast<size_t>(numel) * itemsize(dtype);
}

size_t checked_view_extent(const Shape& shape, const Shape& strides, int64_t offset, DType dtype,
                           const char* op) {
  if (checked_numel(shape, op) == 0) return 0;
  int64_t first = offset, last = offset;
  for (size_t d = 0; d < shape.size(); ++d) {
    int64_t span = checked_mul(shape[d] - 1, strides[d], op, "the view's extent");
    (span < 0 ? first : last) = checked_add(span < 0 ? first : last, span, op, "the view's extent");
  }
  EMBER_CHECK(first >= 0, op, "a view of shape ", shape, ", strides ", strides, " and offset ",
              offset, " reaches before the start of its storage");
  return checked_nbytes(checked_add(last, 1, op, "the view's extent"), dtype, op);
}

uint64_t host_memory_bytes() {
  static const uint64_t bytes = [] {
    long pages = sysconf(_SC_PHYS_PAGES);
    long page_size = sysconf(_SC_PAGE_SIZE);
    uint64_t total = 0;
    // A system that does not say lets the allocation itself decide.
    if (pages <= 0 || page_size <= 0 ||
        __builtin_mul_overflow(static_cast<uint64_t>(pages), static_cast<uint64_t>(page_size),
                               &total)) {
      return UINT64_MAX;
    }
    return total;
  }();
  return bytes;
}

void check_host_buffer(size_t nbytes, const char* op) {
  EMBER_CHECK(nbytes <= host_memory_bytes(), op, nbytes, " bytes do not fit in the ",
              host_memory_bytes(), " bytes of this machine's memory");
}

}  // namespace ember
