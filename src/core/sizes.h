// Checked size arithmetic: every product of sizes, byte count and rounding in Ember goes
// through these, so no size wraps and every overflow is an ember::Error naming the op.
#pragma once

#include <cstddef>
#include <cstdint>

#include "ember/dtype.h"
#include "ember/tensor.h"

namespace ember {

// The most bytes one tensor may hold: 2^62 keeps every byte offset, stride and rounding
// of a tensor's storage inside int64 and size_t with room to spare.
inline constexpr uint64_t kMaxTensorBytes = uint64_t{1} << 62;

// a * b, or an Error from op saying that the product of `what` overflows.
int64_t checked_mul(int64_t a, int64_t b, const char* op, const char* what);
// a + b, or an Error from op saying that the sum of `what` overflows.
int64_t checked_add(int64_t a, int64_t b, const char* op, const char* what);
// n rounded up to a multiple of alignment (a power of two), or an Error from op.
size_t checked_round_up(size_t n, size_t alignment, const char* op);

// The element count of shape. Refuses negative sizes, and shapes whose non-zero sizes
// multiply past int64 (so that contiguous strides exist even beside a zero-size dim).
int64_t checked_numel(const Shape& shape, const char* op);
// numel * itemsize(dtype), refused past kMaxTensorBytes.
size_t checked_nbytes(int64_t numel, DType dtype, const char* op);
// The bytes from the start of a storage that a view with this layout reaches: one past its
// last element, 0 when it has none. Refuses a layout that reaches before the storage's start.
size_t checked_view_extent(const Shape& shape, const Shape& strides, int64_t offset, DType dtype,
                           const char* op);

// The bytes of physical memory this machine has: the most one host buffer could ever hold.
uint64_t host_memory_bytes();
// Refuses a host buffer of nbytes past host_memory_bytes before anything is allocated: such a
// request may be granted by overcommit and then kill the process when it is filled, and under
// AddressSanitizer a refused operator new aborts instead of throwing.
void check_host_buffer(size_t nbytes, const char* op);

}  // namespace ember
