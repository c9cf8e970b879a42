// What a Tensor handle points at: layout, dtype, storage and autograd state.
#pragma once

#include <memory>

#include "core/storage.h"
#include "ember/autograd.h"
#include "ember/tensor.h"

namespace ember {

// Both refuse shapes whose sizes overflow (core/sizes.h), naming op.
Shape contiguous_strides(const Shape& shape, const char* op = "tensor");
int64_t shape_numel(const Shape& shape, const char* op = "tensor");

class TensorImpl {
 public:
  TensorImpl(std::shared_ptr<Storage> storage, DType dtype, Shape shape, Shape strides,
             int64_t offset);

  const Shape& shape() const { return shape_; }
  const Shape& strides() const { return strides_; }
  int64_t offset() const { return offset_; }
  int64_t numel() const { return numel_; }
  int64_t dim() const { return static_cast<int64_t>(shape_.size()); }
  DType dtype() const { return dtype_; }
  const Device& device() const { return storage_->device(); }
  bool is_contiguous() const { return contiguous_; }
  const std::shared_ptr<Storage>& storage() const { return storage_; }
  // Host address of the first element; only meaningful for CPU storage.
  void* data() const {
    return static_cast<char*>(storage_->data()) + offset_ * static_cast<int64_t>(itemsize(dtype_));
  }

  // Holds source's storage and layout from now on, keeping this tensor's identity and
  // autograd state: how a module moves its parameters to another device in place.
  void set_data(const TensorImpl& source) {
    storage_ = source.storage_;
    dtype_ = source.dtype_;
    shape_ = source.shape_;
    strides_ = source.strides_;
    offset_ = source.offset_;
    numel_ = source.numel_;
    contiguous_ = source.contiguous_;
  }

  // Autograd state. A tensor with a grad_fn is an op's output; without, a leaf.
  bool requires_grad = false;
  std::shared_ptr<autograd::Node> grad_fn;
  Tensor grad;

 private:
  std::shared_ptr<Storage> storage_;
  DType dtype_;
  Shape shape_;
  Shape strides_;
  int64_t offset_;
  int64_t numel_;
  bool contiguous_;
};

// A new, contiguous, uninitialised tensor. op is the op the user called: a shape too large to
// hold, or memory the backend cannot find, is an Error from op.
Tensor make_tensor(const Shape& shape, DType dtype, const Device& device, const char* op);
// A view of base's storage with another layout; carries no autograd state. A layout that
// reaches outside the storage is an Error from op.
Tensor make_view(const Tensor& base, Shape shape, Shape strides, int64_t offset,
                 const char* op = "view");

}  // namespace ember
