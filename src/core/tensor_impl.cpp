#include "core/tensor_impl.h"

#include <cstdint>

#include "core/backend.h"
#include "core/check.h"

namespace ember {

Shape contiguous_strides(const Shape& shape) {
  Shape strides(shape.size());
  int64_t stride = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    strides[i] = stride;
    stride *= shape[i] > 0 ? shape[i] : 1;
  }
  return strides;
}

int64_t shape_numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  return n;
}

static bool compute_contiguous(const Shape& shape, const Shape& strides) {
  if (shape_numel(shape) == 0) return true;  // as PyTorch: no element is out of place
  int64_t expected = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    if (shape[i] == 1) continue;  // the stride of a size-1 dim never matters
    if (strides[i] != expected) return false;
    expected *= shape[i];
  }
  return true;
}

TensorImpl::TensorImpl(std::shared_ptr<Storage> storage, DType dtype, Shape shape, Shape strides,
                       int64_t offset)
    : storage_(std::move(storage)),
      dtype_(dtype),
      shape_(std::move(shape)),
      strides_(std::move(strides)),
      offset_(offset),
      numel_(shape_numel(shape_)),
      contiguous_(compute_contiguous(shape_, strides_)) {}

Tensor make_tensor(const Shape& shape, DType dtype, const Device& device) {
  int64_t numel = 1;
  for (int64_t s : shape) {
    EMBER_CHECK(s >= 0, "empty", "negative size in shape ", shape);
    EMBER_CHECK(!__builtin_mul_overflow(numel, s, &numel), "empty", "shape ", shape,
                " has more elements than an int64 counts");
  }
  EMBER_CHECK(numel == 0 || static_cast<uint64_t>(numel) <= SIZE_MAX / itemsize(dtype), "empty",
              "shape ", shape, " needs more bytes than memory can address");
  size_t nbytes = static_cast<size_t>(shape_numel(shape)) * itemsize(dtype);
  auto storage = backend_for(device).allocate(nbytes);
  return Tensor(
      std::make_shared<TensorImpl>(std::move(storage), dtype, shape, contiguous_strides(shape), 0));
}

Tensor make_view(const Tensor& base, Shape shape, Shape strides, int64_t offset) {
  return Tensor(std::make_shared<TensorImpl>(base.impl()->storage(), base.dtype(), std::move(shape),
                                             std::move(strides), offset));
}

}  // namespace ember
