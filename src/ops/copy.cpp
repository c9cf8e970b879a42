// Moving data: between devices and dtypes, into new layouts, and in from the host.
#include <cstring>

#include "autograd/graph.h"
#include "core/sizes.h"
#include "ops/op_utils.h"

namespace ember {

using ops::backend_of;

namespace {

Tensor copy_to_device(const Tensor& x, const Device& device) {
  Tensor src = x.contiguous();
  Tensor out = make_tensor(src.shape(), src.dtype(), device, "to");
  size_t nbytes = static_cast<size_t>(src.numel()) * itemsize(src.dtype());
  size_t src_offset = static_cast<size_t>(src.storage_offset()) * itemsize(src.dtype());
  if (nbytes == 0) return out;
  if (src.device().is_cpu()) {
    backend_for(device).write(*out.impl()->storage(), 0, src.impl()->data(), nbytes);
  } else if (device.is_cpu()) {
    backend_of(src).read(*src.impl()->storage(), src_offset, out.impl()->data(), nbytes);
  } else {
    std::vector<char> host(nbytes);
    backend_of(src).read(*src.impl()->storage(), src_offset, host.data(), nbytes);
    backend_for(device).write(*out.impl()->storage(), 0, host.data(), nbytes);
  }
  return out;
}

}  // namespace

Tensor Tensor::to(const Device& device) const {
  ops::check_defined(*this, "to");
  if (this->device() == device) return *this;
  backend_for(device);  // an unknown device fails before any copy
  Tensor out = copy_to_device(*this, device);
  if (autograd::needs_grad(*this)) {
    Device from = this->device();
    autograd::record("to", {*this}, out,
                     [from](const Tensor& g) { return autograd::Grads{g.to(from)}; });
  }
  return out;
}

Tensor Tensor::to(DType dtype) const {
  ops::check_defined(*this, "to");
  if (this->dtype() == dtype) return *this;
  Tensor out = ops::cast(*this, dtype, "to");
  if (autograd::needs_grad(*this) && ember::is_floating_point(dtype)) {
    DType from = this->dtype();
    autograd::record("to", {*this}, out,
                     [from](const Tensor& g) { return autograd::Grads{g.to(from)}; });
  }
  return out;
}

Tensor Tensor::to(const Device& device, DType dtype) const { return to(dtype).to(device); }

namespace {

// A contiguous copy of x whose errors and graph node name op: clone, or contiguous.
Tensor copied(const Tensor& x, const char* op) {
  ops::check_defined(x, op);
  Tensor out = make_tensor(x.shape(), x.dtype(), x.device(), op);
  backend_of(x).copy(x, out);
  if (autograd::needs_grad(x)) {
    autograd::record(op, {x}, out, [](const Tensor& g) { return autograd::Grads{g}; });
  }
  return out;
}

}  // namespace

Tensor Tensor::clone() const { return copied(*this, "clone"); }

Tensor Tensor::contiguous() const {
  ops::check_defined(*this, "contiguous");
  return is_contiguous() ? *this : copied(*this, "contiguous");
}

Tensor Tensor::detach() const {
  ops::check_defined(*this, "detach");
  return make_view(*this, shape(), strides(), storage_offset());
}

Tensor& Tensor::copy_(const Tensor& src) {
  ops::check_inplace_allowed(*this, "copy_");
  ops::check_defined(src, "copy_");
  Tensor source = src.device() == device() ? src : src.to(device());
  Tensor expanded = ops::expand_view(source, shape());
  backend_of(*this).copy(expanded, *this);
  return *this;
}

Tensor& Tensor::fill_(Scalar value) {
  ops::check_inplace_allowed(*this, "fill_");
  backend_of(*this).fill(*this, value);
  return *this;
}

Tensor& Tensor::zero_() { return fill_(0); }

void Tensor::read_elements(void* dst, DType dst_dtype, bool expect_one) const {
  const char* op = expect_one ? "item" : "to_vector";
  ops::check_defined(*this, op);
  EMBER_CHECK(!expect_one || numel() == 1, op, "a tensor with ", numel(),
              " elements cannot be read as one number");
  // Moved first: the CPU converts to any dtype, float64 included.
  Tensor host = ops::cast(detach().contiguous().to(kCPU), dst_dtype, op);
  if (numel() == 0) return;  // dst may be null then, which memcpy does not allow
  std::memcpy(dst, host.impl()->data(), static_cast<size_t>(numel()) * itemsize(dst_dtype));
}

void* Tensor::checked_data_ptr(DType expected) const {
  ops::check_defined(*this, "data_ptr");
  EMBER_CHECK(device().is_cpu(), "data_ptr", "the tensor is on ", device(),
              "; copy it with .to(kCPU) first");
  EMBER_CHECK(dtype() == expected, "data_ptr", "the tensor holds ", dtype(), ", not ", expected);
  return impl_->data();
}

Tensor from_data(const void* data, int64_t count, DType dtype, const Shape& shape,
                 const Device& device) {
  // Checked before allocating, so a shape the values do not fill costs nothing.
  int64_t numel = checked_numel(shape, "from_vector");
  checked_nbytes(numel, dtype, "from_vector");
  EMBER_CHECK(count == numel, "from_vector", count, " values do not fill shape ", shape, " (",
              numel, " elements)");
  Tensor host = make_tensor(shape, dtype, kCPU, "from_vector");
  if (count > 0)
    std::memcpy(host.impl()->data(), data, static_cast<size_t>(count) * itemsize(dtype));
  return host.to(device);
}

}  // namespace ember
