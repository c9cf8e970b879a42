// Layout helpers shared by every backend's kernels: packing inputs into the contiguous
// forms the kernels walk.
#pragma once

#include <cstdint>
#include <vector>

#include "core/backend.h"

namespace ember {

// A contiguous shape split around dim: outer x n x inner.
struct AroundDim {
  int64_t outer = 1, n = 1, inner = 1;
  AroundDim(const Shape& shape, int64_t dim);
};

// x itself when contiguous, else a contiguous copy made by backend.
Tensor contiguous_copy(const Tensor& x, Backend& backend);

// x's elements reordered so that the kept dims come first and the reduced dims (sorted)
// last, contiguous.
Tensor kept_then_reduced(const Tensor& x, const std::vector<int64_t>& dims, Backend& backend);

}  // namespace ember
