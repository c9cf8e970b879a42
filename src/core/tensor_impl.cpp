#include "core/tensor_impl.h"

#include <cstdint>
#include <string_view>

#include "core/backend.h"
#include "core/check.h"
#include "core/sizes.h"

namespace ember {

Shape contiguous_strides(const Shape& shape, const char* op) {
  Shape strides(shape.size());
  int64_t stride = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    strides[i] = stride;
    stride = checked_mul(stride, shape[i] > 0 ? shape[i] : 1, op, "a contiguous stride");
  }
  return strides;
}

int64_t shape_numel(const Shape& shape, const char* op) { return checked_numel(shape, op); }

static bool compute_contiguous(const Shape& shape, const Shape& strides, int64_t numel) {
  if (numel == 0) return true;  // as PyTorch: no element is out of place
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
      contiguous_(compute_contiguous(shape_, strides_, numel_)) {}

namespace {

// A backend names itself in its errors ("[cpu] out of memory: ..."): the user called op, so
// the error is raised again from op with the backend's own words kept.
std::shared_ptr<Storage> allocate_for(const Device& device, size_t nbytes, const char* op) {
  Backend& backend = backend_for(device);
  try {
    return backend.allocate(nbytes);
  } catch (const Error& error) {
    std::string_view message = error.what();
    size_t prefix_end = message.starts_with('[') ? message.find("] ") : std::string_view::npos;
    if (prefix_end != std::string_view::npos) message.remove_prefix(prefix_end + 2);
    detail::fail(op, message);
  }
}

}  // namespace

Tensor make_tensor(const Shape& shape, DType dtype, const Device& device, const char* op) {
  size_t nbytes = checked_nbytes(checked_numel(shape, op), dtype, op);
  Shape strides = contiguous_strides(shape, op);
  auto storage = allocate_for(device, nbytes, op);
  return Tensor(
      std::make_shared<TensorImpl>(std::move(storage), dtype, shape, std::move(strides), 0));
}

Tensor make_view(const Tensor& base, Shape shape, Shape strides, int64_t offset, const char* op) {
  const std::shared_ptr<Storage>& storage = base.impl()->storage();
  EMBER_CHECK(shape.size() == strides.size(), op, "a view of shape ", shape, " got strides ",
              strides);
  size_t extent = checked_view_extent(shape, strides, offset, base.dtype(), op);
  EMBER_CHECK(extent <= storage->nbytes(), op, "a view of shape ", shape, ", strides ", strides,
              " and offset ", offset, " reaches ", extent, " bytes into a storage of ",
              storage->nbytes());
  return Tensor(std::make_shared<TensorImpl>(storage, base.dtype(), std::move(shape),
                                             std::move(strides), offset));
}

}  // namespace ember
