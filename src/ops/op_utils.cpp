#include "ops/op_utils.h"

#include <algorithm>

namespace ember::ops {

int64_t normalize_dim(int64_t dim, int64_t ndim, const char* op) {
  int64_t range = std::max<int64_t>(ndim, 1);  // a 0-dim tensor accepts dim 0 and -1
  EMBER_CHECK(dim >= -range && dim < range, op, "dimension ", dim, " is out of range for a ", ndim,
              "-d tensor");
  return dim < 0 ? dim + range : dim;
}

std::vector<int64_t> normalize_dims(const Dims& dims, int64_t ndim, const char* op) {
  std::vector<int64_t> result;
  if (dims.empty()) {
    for (int64_t d = 0; d < ndim; ++d) result.push_back(d);
    return result;
  }
  for (int64_t dim : dims.vec()) {
    int64_t d = normalize_dim(dim, ndim, op);
    EMBER_CHECK(std::find(result.begin(), result.end(), d) == result.end(), op, "dimension ", dim,
                " appears more than once in dims ", shape_string(dims.vec()));
    result.push_back(d);
  }
  std::sort(result.begin(), result.end());
  if (ndim == 0) result.clear();
  return result;
}

namespace {
enum class Category { Bool, Integral, Floating };
Category category(DType t) {
  return t == kBool             ? Category::Bool
         : is_floating_point(t) ? Category::Floating
                                : Category::Integral;
}
Category category(Scalar s) {
  switch (s.kind()) {
    case Scalar::Kind::Bool:
      return Category::Bool;
    case Scalar::Kind::Integral:
      return Category::Integral;
    case Scalar::Kind::Floating:
      return Category::Floating;
  }
  return Category::Floating;
}
// A lower-priority operand changes the type only when it is of a higher category.
DType join(DType high_priority, DType low_priority) {
  return category(low_priority) > category(high_priority)
             ? promote_types(high_priority, low_priority)
             : high_priority;
}
}  // namespace

DType result_type(const Tensor& a, const Tensor& b) {
  bool a_dims = a.dim() > 0, b_dims = b.dim() > 0;
  if (a_dims == b_dims) return promote_types(a.dtype(), b.dtype());
  return a_dims ? join(a.dtype(), b.dtype()) : join(b.dtype(), a.dtype());
}

DType result_type(const Tensor& a, Scalar b) {
  Category scalar = category(b);
  if (scalar <= category(a.dtype())) return a.dtype();
  return scalar == Category::Floating ? kFloat32 : kInt64;
}

void check_defined(const Tensor& x, const char* op) {
  EMBER_CHECK(x.defined(), op, "got an undefined tensor");
}

void check_same_device(const Tensor& a, const Tensor& b, const char* op) {
  EMBER_CHECK(a.device() == b.device(), op, "expected tensors on one device, got ", a.device(),
              " and ", b.device());
}

void check_inplace_allowed(const Tensor& x, const char* op) {
  check_defined(x, op);
  EMBER_CHECK(!(is_grad_enabled() && x.requires_grad()), op,
              "in-place change of a tensor that requires grad; use the out-of-place op or "
              "NoGradGuard");
}

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  if (a == b) return a;
  size_t ndim = std::max(a.size(), b.size());
  Shape out(ndim);
  for (size_t i = 0; i < ndim; ++i) {
    int64_t sa = i < ndim - a.size() ? 1 : a[i - (ndim - a.size())];
    int64_t sb = i < ndim - b.size() ? 1 : b[i - (ndim - b.size())];
    EMBER_CHECK(sa == sb || sa == 1 || sb == 1, op, "shapes ", a, " and ", b,
                " cannot be broadcast together");
    out[i] = sa == 1 ? sb : sa;
  }
  return out;
}

Tensor expand_view(const Tensor& x, const Shape& shape) {
  if (x.shape() == shape) return x;
  int64_t ndim = static_cast<int64_t>(shape.size());
  int64_t leading = ndim - x.dim();
  Shape strides(shape.size(), 0);
  for (int64_t d = leading; d < ndim; ++d) {
    int64_t size = x.size(d - leading);
    EMBER_CHECK(size == shape[d] || size == 1, "expand", "cannot expand shape ", x.shape(), " to ",
                shape);
    strides[d] = size == 1 ? 0 : x.stride(d - leading);
  }
  return make_view(x, shape, std::move(strides), x.storage_offset(), "expand");
}

Tensor cast(const Tensor& x, DType dtype, const char* op) {
  if (x.dtype() == dtype) return x;
  Tensor out = make_tensor(x.shape(), dtype, x.device(), op);
  backend_of(x).copy(x, out);
  return out;
}

}  // namespace ember::ops
