// Tensor's metadata and autograd accessors; its op methods forward to ops.h.
#include "ember/tensor.h"

#include "autograd/graph.h"
#include "core/sizes.h"
#include "core/tensor_impl.h"
#include "ember/ops.h"
#include "ops/op_utils.h"

namespace ember {

namespace {
const TensorImpl& checked(const std::shared_ptr<TensorImpl>& impl) {
  EMBER_CHECK(impl != nullptr, "tensor", "this tensor is undefined");
  return *impl;
}
}  // namespace

const Shape& Tensor::shape() const { return checked(impl_).shape(); }
int64_t Tensor::size(int64_t d) const { return shape()[ops::normalize_dim(d, dim(), "size")]; }
const Shape& Tensor::strides() const { return checked(impl_).strides(); }
int64_t Tensor::stride(int64_t d) const {
  return strides()[ops::normalize_dim(d, dim(), "stride")];
}
int64_t Tensor::storage_offset() const { return checked(impl_).offset(); }
int64_t Tensor::dim() const { return checked(impl_).dim(); }
int64_t Tensor::numel() const { return checked(impl_).numel(); }
DType Tensor::dtype() const { return checked(impl_).dtype(); }
Device Tensor::device() const { return checked(impl_).device(); }
bool Tensor::is_contiguous() const { return checked(impl_).is_contiguous(); }
bool Tensor::is_alias_of(const Tensor& other) const {
  return checked(impl_).storage() == checked(other.impl_).storage();
}

size_t Tensor::host_element_count(DType dst_dtype) const {
  ops::check_defined(*this, "to_vector");
  size_t nbytes = checked_nbytes(numel(), dst_dtype, "to_vector");
  check_host_buffer(nbytes, "to_vector");
  // read_elements also holds the source's elements on the host: refused here, before the
  // vector is allocated.
  check_host_buffer(checked_nbytes(numel(), dtype(), "to_vector"), "to_vector");
  return nbytes / itemsize(dst_dtype);
}

void Tensor::host_out_of_memory(size_t count, DType dst_dtype) const {
  detail::fail("to_vector", "out of memory: the host refused ", count * itemsize(dst_dtype),
               " bytes for ", count, " ", dtype_name(dst_dtype), " elements of shape ", shape());
}

Tensor& Tensor::requires_grad_(bool requires_grad) {
  ops::check_defined(*this, "requires_grad_");
  EMBER_CHECK(!requires_grad || ember::is_floating_point(dtype()), "requires_grad_",
              "only floating-point tensors can require gradients, got ", dtype());
  EMBER_CHECK(requires_grad || !impl_->grad_fn, "requires_grad_",
              "cannot turn off requires_grad on a non-leaf tensor; use detach()");
  impl_->requires_grad = requires_grad;
  return *this;
}
bool Tensor::requires_grad() const { return impl_ && impl_->requires_grad; }
bool Tensor::is_leaf() const { return !impl_ || !impl_->grad_fn; }
Tensor Tensor::grad() const { return checked(impl_).grad; }
void Tensor::set_grad(const Tensor& grad) {
  ops::check_defined(*this, "set_grad");
  EMBER_CHECK(!grad.defined() || grad.shape() == shape(), "set_grad", "gradient of shape ",
              grad.shape(), " for a tensor of shape ", shape());
  impl_->grad = grad;
}
const std::shared_ptr<autograd::Node>& Tensor::grad_fn() const { return checked(impl_).grad_fn; }

namespace {

// As torch.can_cast: an in-place op never writes floats into integers, nor numbers into bool.
bool can_cast(DType from, DType to) {
  if (ember::is_floating_point(from) && !ember::is_floating_point(to)) return false;
  return to != kBool || from == kBool;
}

// In-place arithmetic computes its result out of place, then writes it back.
template <typename Compute>
Tensor& update(Tensor& self, const char* op, const Compute& compute) {
  ops::check_inplace_allowed(self, op);
  Tensor result = compute();
  EMBER_CHECK(result.shape() == self.shape(), op, "the result's shape ", result.shape(),
              " differs from the tensor's ", self.shape());
  EMBER_CHECK(can_cast(result.dtype(), self.dtype()), op, "a ", result.dtype(),
              " result cannot be written into a ", self.dtype(), " tensor");
  ops::backend_of(self).copy(result, self);
  return self;
}

}  // namespace

Tensor& Tensor::add_(const Tensor& other, Scalar alpha) {
  return update(*this, "add_", [&] { return add(*this, other, alpha); });
}
Tensor& Tensor::add_(Scalar other) {
  return update(*this, "add_", [&] { return add(*this, other); });
}
Tensor& Tensor::sub_(const Tensor& other, Scalar alpha) {
  return update(*this, "sub_", [&] { return sub(*this, other, alpha); });
}
Tensor& Tensor::sub_(Scalar other) {
  return update(*this, "sub_", [&] { return sub(*this, other); });
}
Tensor& Tensor::mul_(const Tensor& other) {
  return update(*this, "mul_", [&] { return mul(*this, other); });
}
Tensor& Tensor::mul_(Scalar other) {
  return update(*this, "mul_", [&] { return mul(*this, other); });
}
Tensor& Tensor::div_(const Tensor& other) {
  return update(*this, "div_", [&] { return div(*this, other); });
}
Tensor& Tensor::div_(Scalar other) {
  return update(*this, "div_", [&] { return div(*this, other); });
}
Tensor& Tensor::clamp_(Scalar min, Scalar max) {
  return update(*this, "clamp_", [&] { return ember::clamp(*this, min, max); });
}

Tensor Tensor::sum() const { return ember::sum(*this); }
Tensor Tensor::sum(const Dims& dims, bool keepdim) const {
  return ember::sum(*this, dims, keepdim);
}
Tensor Tensor::mean() const { return ember::mean(*this); }
Tensor Tensor::mean(const Dims& dims, bool keepdim) const {
  return ember::mean(*this, dims, keepdim);
}
Tensor Tensor::prod(const Dims& dims, bool keepdim) const {
  return ember::prod(*this, dims, keepdim);
}
Tensor Tensor::max() const { return ember::max(*this); }
Tensor Tensor::min() const { return ember::min(*this); }
Tensor Tensor::amax(const Dims& dims, bool keepdim) const {
  return ember::amax(*this, dims, keepdim);
}
Tensor Tensor::amin(const Dims& dims, bool keepdim) const {
  return ember::amin(*this, dims, keepdim);
}
Tensor Tensor::argmax() const { return ember::argmax(*this); }
Tensor Tensor::argmax(int64_t dim, bool keepdim) const {
  return ember::argmax(*this, dim, keepdim);
}
Tensor Tensor::argmin() const { return ember::argmin(*this); }
Tensor Tensor::argmin(int64_t dim, bool keepdim) const {
  return ember::argmin(*this, dim, keepdim);
}
Tensor Tensor::var(const Dims& dims, int64_t correction, bool keepdim) const {
  return ember::var(*this, dims, correction, keepdim);
}
Tensor Tensor::std(const Dims& dims, int64_t correction, bool keepdim) const {
  return ember::std(*this, dims, correction, keepdim);
}
Tensor Tensor::logsumexp(const Dims& dims, bool keepdim) const {
  return ember::logsumexp(*this, dims, keepdim);
}
Tensor Tensor::all() const { return ember::all(*this); }
Tensor Tensor::any() const { return ember::any(*this); }
Tensor Tensor::cumsum(int64_t dim) const { return ember::cumsum(*this, dim); }
Tensor Tensor::softmax(int64_t dim) const { return ember::softmax(*this, dim); }
Tensor Tensor::log_softmax(int64_t dim) const { return ember::log_softmax(*this, dim); }
Tensor Tensor::matmul(const Tensor& other) const { return ember::matmul(*this, other); }
Tensor Tensor::abs() const { return ember::abs(*this); }
Tensor Tensor::exp() const { return ember::exp(*this); }
Tensor Tensor::log() const { return ember::log(*this); }
Tensor Tensor::sqrt() const { return ember::sqrt(*this); }
Tensor Tensor::tanh() const { return ember::tanh(*this); }
Tensor Tensor::sigmoid() const { return ember::sigmoid(*this); }
Tensor Tensor::relu() const { return ember::relu(*this); }
Tensor Tensor::pow(Scalar exponent) const { return ember::pow(*this, exponent); }
Tensor Tensor::pow(const Tensor& exponent) const { return ember::pow(*this, exponent); }
Tensor Tensor::clamp(Scalar min, Scalar max) const { return ember::clamp(*this, min, max); }
Tensor Tensor::masked_fill(const Tensor& mask, Scalar value) const {
  return ember::masked_fill(*this, mask, value);
}
Tensor Tensor::index_select(int64_t dim, const Tensor& index) const {
  return ember::index_select(*this, dim, index);
}
Tensor Tensor::gather(int64_t dim, const Tensor& index) const {
  return ember::gather(*this, dim, index);
}
std::vector<Tensor> Tensor::split(int64_t split_size, int64_t dim) const {
  return ember::split(*this, split_size, dim);
}
std::vector<Tensor> Tensor::chunk(int64_t chunks, int64_t dim) const {
  return ember::chunk(*this, chunks, dim);
}

}  // namespace ember
