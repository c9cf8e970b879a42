// Views: new shapes and strides over the same storage, each with its derivative.
#include <algorithm>
#include <optional>

#include "autograd/graph.h"
#include "core/sizes.h"
#include "ops/op_utils.h"

namespace ember {

using autograd::Grads;
using ops::normalize_dim;

namespace {

Tensor view_with_grad(const Tensor& x, Shape shape, Shape strides, int64_t offset, const char* name,
                      autograd::Derivative derivative) {
  Tensor out = make_view(x, std::move(shape), std::move(strides), offset, name);
  if (autograd::needs_grad(x)) autograd::record(name, {x}, out, std::move(derivative));
  return out;
}

Tensor reshape_back(const Tensor& x, Shape shape, Shape strides, int64_t offset, const char* name) {
  Shape in_shape = x.shape();
  return view_with_grad(x, std::move(shape), std::move(strides), offset, name,
                        [in_shape](const Tensor& g) { return Grads{g.reshape(in_shape)}; });
}

Shape infer_shape(const Shape& requested, int64_t numel, const char* op) {
  Shape shape = requested;
  std::optional<size_t> unknown;
  for (size_t i = 0; i < shape.size(); ++i) {
    EMBER_CHECK(shape[i] >= -1, op, "invalid size ", shape[i], " in shape ", requested);
    if (shape[i] != -1) continue;
    EMBER_CHECK(!unknown, op, "only one dimension can be -1, got ", requested);
    unknown = i;
    shape[i] = 1;
  }
  int64_t known = checked_numel(shape, op);
  if (unknown) {
    EMBER_CHECK(known != 0 && numel % known == 0, op, "shape ", requested,
                " is invalid for a tensor of ", numel, " elements");
    shape[*unknown] = numel / known;
  } else {
    EMBER_CHECK(known == numel, op, "shape ", requested, " is invalid for a tensor of ", numel,
                " elements");
  }
  return shape;
}

// Strides that let shape view x's memory without a copy, if there are any.
std::optional<Shape> view_strides(const Tensor& x, const Shape& shape, const char* op) {
  const Shape& old_shape = x.shape();
  const Shape& old_strides = x.strides();
  if (x.numel() == 0 || old_shape.empty()) return contiguous_strides(shape, op);
  Shape strides(shape.size());
  int64_t view_d = static_cast<int64_t>(shape.size()) - 1;
  int64_t chunk_base_stride = old_strides.back();
  int64_t tensor_numel = 1, view_numel = 1;
  for (int64_t tensor_d = static_cast<int64_t>(old_shape.size()) - 1; tensor_d >= 0; --tensor_d) {
    tensor_numel *= old_shape[tensor_d];
    bool chunk_ends =
        tensor_d == 0 || (old_shape[tensor_d - 1] != 1 &&
                          old_strides[tensor_d - 1] != tensor_numel * chunk_base_stride);
    if (!chunk_ends) continue;
    while (view_d >= 0 && (view_numel < tensor_numel || shape[view_d] == 1)) {
      strides[view_d] = view_numel * chunk_base_stride;
      view_numel *= shape[view_d];
      --view_d;
    }
    if (view_numel != tensor_numel) return std::nullopt;
    if (tensor_d > 0) {
      chunk_base_stride = old_strides[tensor_d - 1];
      tensor_numel = 1;
      view_numel = 1;
    }
  }
  if (view_d != -1) return std::nullopt;
  return strides;
}

}  // namespace

Tensor Tensor::view(const Shape& requested) const {
  ops::check_defined(*this, "view");
  Shape shape = infer_shape(requested, numel(), "view");
  auto strides = view_strides(*this, shape, "view");
  EMBER_CHECK(strides.has_value(), "view", "shape ", requested,
              " is not compatible with the strides of this tensor (", this->shape(),
              "); use reshape");
  return reshape_back(*this, shape, std::move(*strides), storage_offset(), "view");
}

Tensor Tensor::reshape(const Shape& requested) const {
  ops::check_defined(*this, "reshape");
  Shape shape = infer_shape(requested, numel(), "reshape");
  if (auto strides = view_strides(*this, shape, "reshape")) {
    return reshape_back(*this, shape, std::move(*strides), storage_offset(), "reshape");
  }
  return contiguous().view(shape);
}

Tensor Tensor::flatten(int64_t start_dim, int64_t end_dim) const {
  ops::check_defined(*this, "flatten");
  if (dim() == 0) return reshape({1});
  int64_t start = normalize_dim(start_dim, dim(), "flatten");
  int64_t end = normalize_dim(end_dim, dim(), "flatten");
  EMBER_CHECK(start <= end, "flatten", "start_dim ", start_dim, " comes after end_dim ", end_dim);
  Shape shape(this->shape().begin(), this->shape().begin() + start);
  int64_t merged = 1;
  for (int64_t d = start; d <= end; ++d) merged = checked_mul(merged, size(d), "flatten", "a size");
  shape.push_back(merged);
  shape.insert(shape.end(), this->shape().begin() + end + 1, this->shape().end());
  return reshape(shape);
}

Tensor Tensor::unflatten(int64_t dim_, const Shape& sizes) const {
  ops::check_defined(*this, "unflatten");
  int64_t d = normalize_dim(dim_, dim(), "unflatten");
  Shape inner = infer_shape(sizes, size(d), "unflatten");
  Shape shape(this->shape().begin(), this->shape().begin() + d);
  shape.insert(shape.end(), inner.begin(), inner.end());
  shape.insert(shape.end(), this->shape().begin() + d + 1, this->shape().end());
  return reshape(shape);
}

Tensor Tensor::transpose(int64_t dim0, int64_t dim1) const {
  ops::check_defined(*this, "transpose");
  int64_t a = normalize_dim(dim0, dim(), "transpose");
  int64_t b = normalize_dim(dim1, dim(), "transpose");
  if (dim() == 0) return *this;
  Shape shape = this->shape(), strides = this->strides();
  std::swap(shape[a], shape[b]);
  std::swap(strides[a], strides[b]);
  return view_with_grad(*this, std::move(shape), std::move(strides), storage_offset(), "transpose",
                        [a, b](const Tensor& g) { return Grads{g.transpose(a, b)}; });
}

Tensor Tensor::t() const {
  ops::check_defined(*this, "t");
  EMBER_CHECK(dim() <= 2, "t", "expects a tensor with at most 2 dims, got ", shape());
  return dim() < 2 ? *this : transpose(0, 1);
}

Tensor Tensor::permute(const std::vector<int64_t>& dims) const {
  ops::check_defined(*this, "permute");
  EMBER_CHECK(static_cast<int64_t>(dims.size()) == dim(), "permute", "got ", dims.size(),
              " dims for a tensor of shape ", shape());
  std::vector<int64_t> order(dims.size()), inverse(dims.size());
  std::vector<bool> used(dims.size(), false);
  Shape shape(dims.size()), strides(dims.size());
  for (size_t i = 0; i < dims.size(); ++i) {
    int64_t d = normalize_dim(dims[i], dim(), "permute");
    EMBER_CHECK(!used[d], "permute", "dimension ", dims[i], " appears twice");
    used[d] = true;
    order[i] = d;
    inverse[d] = static_cast<int64_t>(i);
    shape[i] = size(d);
    strides[i] = stride(d);
  }
  return view_with_grad(*this, std::move(shape), std::move(strides), storage_offset(), "permute",
                        [inverse](const Tensor& g) { return Grads{g.permute(inverse)}; });
}

Tensor Tensor::slice(int64_t dim_, int64_t start, int64_t end, int64_t step) const {
  ops::check_defined(*this, "slice");
  EMBER_CHECK(dim() > 0, "slice", "cannot slice a 0-d tensor");
  int64_t d = normalize_dim(dim_, dim(), "slice");
  EMBER_CHECK(step > 0, "slice", "step must be positive, got ", step);
  int64_t n = size(d);
  // Python slicing: negative bounds count from the end, then clamp to [0, n].
  if (start < 0) start += n;
  if (end < 0) end += n;
  start = std::clamp<int64_t>(start, 0, n);
  end = std::clamp<int64_t>(end, start, n);
  Shape shape = this->shape(), strides = this->strides();
  shape[d] = end == start ? 0 : (end - start - 1) / step + 1;
  // A single element's stride never matters, so a step past the end need not multiply.
  if (shape[d] > 1) strides[d] = checked_mul(strides[d], step, "slice", "the stride");
  int64_t offset =
      checked_add(storage_offset(), checked_mul(start, stride(d), "slice", "the offset"), "slice",
                  "the offset");
  Shape in_shape = this->shape();
  return view_with_grad(*this, std::move(shape), std::move(strides), offset, "slice",
                        [in_shape, d, start, end, step](const Tensor& g) {
                          Tensor grad = zeros(in_shape, g.dtype(), g.device());
                          grad.slice(d, start, end, step).copy_(g);
                          return Grads{grad};
                        });
}

Tensor Tensor::narrow(int64_t dim_, int64_t start, int64_t length) const {
  ops::check_defined(*this, "narrow");
  int64_t d = normalize_dim(dim_, dim(), "narrow");
  int64_t n = size(d);
  if (start < 0 && start >= -n) start += n;
  EMBER_CHECK(start >= 0 && start <= n && length >= 0 && length <= n - start, "narrow", "start ",
              start, " and length ", length, " are outside dimension ", d, " of size ", n);
  return slice(d, start, start + length);
}

Tensor Tensor::select(int64_t dim_, int64_t index) const {
  ops::check_defined(*this, "select");
  EMBER_CHECK(dim() > 0, "select", "cannot select from a 0-d tensor");
  int64_t d = normalize_dim(dim_, dim(), "select");
  int64_t n = size(d);
  EMBER_CHECK(index >= -n && index < n, "select", "index ", index,
              " is out of range for dimension ", d, " of size ", n);
  if (index < 0) index += n;
  Shape shape = this->shape(), strides = this->strides();
  int64_t offset = storage_offset() + index * stride(d);
  shape.erase(shape.begin() + d);
  strides.erase(strides.begin() + d);
  Shape in_shape = this->shape();
  return view_with_grad(*this, std::move(shape), std::move(strides), offset, "select",
                        [in_shape, d, index](const Tensor& g) {
                          Tensor grad = zeros(in_shape, g.dtype(), g.device());
                          grad.select(d, index).copy_(g);
                          return Grads{grad};
                        });
}

Tensor Tensor::expand(const Shape& requested) const {
  ops::check_defined(*this, "expand");
  int64_t ndim = static_cast<int64_t>(requested.size());
  EMBER_CHECK(ndim >= dim(), "expand", "cannot expand shape ", shape(), " to fewer dims ",
              requested);
  Shape shape = requested;
  int64_t leading = ndim - dim();
  for (int64_t d = 0; d < ndim; ++d) {
    if (shape[d] == -1) {
      EMBER_CHECK(d >= leading, "expand", "-1 is not allowed for a new leading dim in ", requested);
      shape[d] = size(d - leading);
    }
  }
  checked_numel(shape, "expand");
  Tensor out = ops::expand_view(*this, shape);
  if (autograd::needs_grad(*this)) {
    Shape in_shape = this->shape();
    autograd::record("expand", {*this}, out,
                     [in_shape](const Tensor& g) { return Grads{autograd::sum_to(g, in_shape)}; });
  }
  return out;
}

Tensor Tensor::squeeze() const {
  ops::check_defined(*this, "squeeze");
  Shape shape, strides;
  for (int64_t d = 0; d < dim(); ++d) {
    if (size(d) == 1) continue;
    shape.push_back(size(d));
    strides.push_back(stride(d));
  }
  return reshape_back(*this, std::move(shape), std::move(strides), storage_offset(), "squeeze");
}

Tensor Tensor::squeeze(int64_t dim_) const {
  ops::check_defined(*this, "squeeze");
  int64_t d = normalize_dim(dim_, dim(), "squeeze");
  if (dim() == 0 || size(d) != 1) return *this;
  Shape shape = this->shape(), strides = this->strides();
  shape.erase(shape.begin() + d);
  strides.erase(strides.begin() + d);
  return reshape_back(*this, std::move(shape), std::move(strides), storage_offset(), "squeeze");
}

Tensor Tensor::unsqueeze(int64_t dim_) const {
  ops::check_defined(*this, "unsqueeze");
  int64_t d = normalize_dim(dim_, dim() + 1, "unsqueeze");
  Shape shape = this->shape(), strides = this->strides();
  int64_t stride_here = d < dim() ? checked_mul(stride(d), size(d), "unsqueeze", "the stride") : 1;
  shape.insert(shape.begin() + d, 1);
  strides.insert(strides.begin() + d, stride_here);
  return reshape_back(*this, std::move(shape), std::move(strides), storage_offset(), "unsqueeze");
}

Tensor reshape(const Tensor& x, const Shape& shape) { return x.reshape(shape); }
Tensor flatten(const Tensor& x, int64_t start_dim, int64_t end_dim) {
  return x.flatten(start_dim, end_dim);
}
Tensor transpose(const Tensor& x, int64_t dim0, int64_t dim1) { return x.transpose(dim0, dim1); }
Tensor permute(const Tensor& x, const std::vector<int64_t>& dims) { return x.permute(dims); }
Tensor squeeze(const Tensor& x, std::optional<int64_t> dim) {
  return dim ? x.squeeze(*dim) : x.squeeze();
}
Tensor unsqueeze(const Tensor& x, int64_t dim) { return x.unsqueeze(dim); }
Tensor broadcast_to(const Tensor& x, const Shape& shape) { return x.expand(shape); }

Shape broadcast_shapes(const Shape& a, const Shape& b) {
  return ops::broadcast_shapes(a, b, "broadcast_shapes");
}

}  // namespace ember
