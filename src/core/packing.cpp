#include "core/packing.h"

#include "core/tensor_impl.h"

namespace ember {

AroundDim::AroundDim(const Shape& shape, int64_t dim) {
  for (int64_t d = 0; d < static_cast<int64_t>(shape.size()); ++d) {
    (d < dim ? outer : d == dim ? n : inner) *= shape[d];
  }
}

Tensor contiguous_copy(const Tensor& x, Backend& backend) {
  if (x.is_contiguous()) return x;
  Tensor copy = make_tensor(x.shape(), x.dtype(), x.device(), "contiguous");
  backend.copy(x, copy);
  return copy;
}

Tensor kept_then_reduced(const Tensor& x, const std::vector<int64_t>& dims, Backend& backend) {
  Shape shape, strides;
  std::vector<bool> reduced(static_cast<size_t>(x.dim()), false);
  for (int64_t d : dims) reduced[d] = true;
  for (int pass = 0; pass < 2; ++pass) {
    for (int64_t d = 0; d < x.dim(); ++d) {
      if (reduced[d] != (pass == 1)) continue;
      shape.push_back(x.size(d));
      strides.push_back(x.stride(d));
    }
  }
  return contiguous_copy(make_view(x, shape, std::move(strides), x.storage_offset()), backend);
}

}  // namespace ember
