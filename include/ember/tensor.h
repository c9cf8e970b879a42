// Tensor: a cheap, shared handle to an n-dimensional array on a device.
//
// Copies of a Tensor share the same data, like torch::Tensor. Views (reshape,
// transpose, slice, ...) share storage with the tensor they came from.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "ember/device.h"
#include "ember/dtype.h"
#include "ember/scalar.h"

namespace ember {

using Shape = std::vector<int64_t>;

// A list of dimensions; converts from one int, a braced list or a vector, so that
// x.sum(1), x.sum({0, 2}) and x.sum(dims) all read naturally.
class Dims {
 public:
  Dims() = default;
  Dims(int64_t dim) : dims_{dim} {}  // NOLINT: implicit by design
  Dims(std::initializer_list<int64_t> dims) : dims_(dims) {}
  Dims(std::vector<int64_t> dims) : dims_(std::move(dims)) {}  // NOLINT
  const std::vector<int64_t>& vec() const { return dims_; }
  bool empty() const { return dims_.empty(); }

 private:
  std::vector<int64_t> dims_;
};

class TensorImpl;
namespace autograd {
class Node;
}

class Tensor {
 public:
  Tensor() = default;  // an undefined tensor; defined() is false
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  bool defined() const { return impl_ != nullptr; }
  const std::shared_ptr<TensorImpl>& impl() const { return impl_; }

  // ---- metadata ----
  const Shape& shape() const;
  const Shape& sizes() const { return shape(); }
  int64_t size(int64_t dim) const;  // negative dims count from the end
  const Shape& strides() const;
  int64_t stride(int64_t dim) const;
  int64_t storage_offset() const;
  int64_t dim() const;
  int64_t numel() const;
  DType dtype() const;
  Device device() const;
  bool is_contiguous() const;
  bool is_floating_point() const { return ember::is_floating_point(dtype()); }
  // True when both tensors view the same storage (as torch.Tensor.is_alias_of).
  bool is_alias_of(const Tensor& other) const;

  // ---- moving and converting ----
  Tensor to(const Device& device) const;  // returns *this when already there
  Tensor to(DType dtype) const;
  Tensor to(const Device& device, DType dtype) const;
  Tensor contiguous() const;  // returns *this when already contiguous
  Tensor clone() const;
  Tensor detach() const;  // shares data, cut from the graph

  // Reads the single element (waits for the device). Converts to T.
  template <typename T>
  T item() const {
    T value{};
    read_elements(&value, dtype_of<T>::value, /*expect_one=*/true);
    return value;
  }
  // Copies all elements to the host in row-major order, converted to T.
  template <typename T>
  std::vector<T> to_vector() const {
    std::vector<T> values = host_vector<T>();
    read_elements(values.data(), dtype_of<T>::value, /*expect_one=*/false);
    return values;
  }
  // Pointer to the first element of a CPU tensor whose dtype is T.
  template <typename T>
  T* data_ptr() const {
    return static_cast<T*>(checked_data_ptr(dtype_of<T>::value));
  }

  // ---- views: share storage ----
  Tensor view(const Shape& shape) const;     // requires compatible strides
  Tensor reshape(const Shape& shape) const;  // a view when possible, else a copy; one -1 allowed
  Tensor flatten(int64_t start_dim = 0, int64_t end_dim = -1) const;
  Tensor unflatten(int64_t dim, const Shape& sizes) const;
  Tensor transpose(int64_t dim0, int64_t dim1) const;
  Tensor t() const;  // transpose of a matrix
  Tensor permute(const std::vector<int64_t>& dims) const;
  Tensor slice(int64_t dim, int64_t start, int64_t end, int64_t step = 1) const;
  Tensor narrow(int64_t dim, int64_t start, int64_t length) const;
  Tensor select(int64_t dim, int64_t index) const;
  Tensor operator[](int64_t index) const { return select(0, index); }
  Tensor expand(const Shape& shape) const;  // -1 keeps a size
  Tensor expand_as(const Tensor& other) const { return expand(other.shape()); }
  Tensor squeeze() const;
  Tensor squeeze(int64_t dim) const;
  Tensor unsqueeze(int64_t dim) const;

  // ---- autograd ----
  Tensor& requires_grad_(bool requires_grad = true);
  bool requires_grad() const;
  bool is_leaf() const;
  Tensor grad() const;  // undefined until a backward pass reaches this tensor
  void set_grad(const Tensor& grad);
  const std::shared_ptr<autograd::Node>& grad_fn() const;
  // Backpropagates from this tensor. A tensor of one element needs no gradient.
  void backward(const Tensor& gradient = Tensor(), bool retain_graph = false) const;

  // ---- in place (not allowed on tensors that take part in autograd) ----
  Tensor& zero_();
  Tensor& fill_(Scalar value);
  Tensor& copy_(const Tensor& src);  // broadcasts src, converts dtype and device
  Tensor& add_(const Tensor& other, Scalar alpha = 1);
  Tensor& add_(Scalar other);
  Tensor& sub_(const Tensor& other, Scalar alpha = 1);
  Tensor& sub_(Scalar other);
  Tensor& mul_(const Tensor& other);
  Tensor& mul_(Scalar other);
  Tensor& div_(const Tensor& other);
  Tensor& div_(Scalar other);
  Tensor& clamp_(Scalar min, Scalar max);
  Tensor& operator+=(const Tensor& other) { return add_(other); }
  Tensor& operator+=(Scalar other) { return add_(other); }
  Tensor& operator-=(const Tensor& other) { return sub_(other); }
  Tensor& operator-=(Scalar other) { return sub_(other); }
  Tensor& operator*=(const Tensor& other) { return mul_(other); }
  Tensor& operator*=(Scalar other) { return mul_(other); }
  Tensor& operator/=(const Tensor& other) { return div_(other); }
  Tensor& operator/=(Scalar other) { return div_(other); }

  // ---- the common ops as methods (see ops.h for the full list) ----
  Tensor sum() const;
  Tensor sum(const Dims& dims, bool keepdim = false) const;
  Tensor mean() const;
  Tensor mean(const Dims& dims, bool keepdim = false) const;
  Tensor prod(const Dims& dims = {}, bool keepdim = false) const;
  Tensor max() const;
  Tensor min() const;
  Tensor amax(const Dims& dims, bool keepdim = false) const;
  Tensor amin(const Dims& dims, bool keepdim = false) const;
  Tensor argmax() const;
  Tensor argmax(int64_t dim, bool keepdim = false) const;
  Tensor argmin() const;
  Tensor argmin(int64_t dim, bool keepdim = false) const;
  Tensor var(const Dims& dims = {}, int64_t correction = 1, bool keepdim = false) const;
  Tensor std(const Dims& dims = {}, int64_t correction = 1, bool keepdim = false) const;
  Tensor logsumexp(const Dims& dims, bool keepdim = false) const;
  Tensor all() const;
  Tensor any() const;
  Tensor cumsum(int64_t dim) const;
  Tensor softmax(int64_t dim) const;
  Tensor log_softmax(int64_t dim) const;
  Tensor matmul(const Tensor& other) const;
  Tensor abs() const;
  Tensor exp() const;
  Tensor log() const;
  Tensor sqrt() const;
  Tensor tanh() const;
  Tensor sigmoid() const;
  Tensor relu() const;
  Tensor pow(Scalar exponent) const;
  Tensor pow(const Tensor& exponent) const;
  Tensor clamp(Scalar min, Scalar max) const;
  Tensor masked_fill(const Tensor& mask, Scalar value) const;
  Tensor index_select(int64_t dim, const Tensor& index) const;
  Tensor gather(int64_t dim, const Tensor& index) const;
  std::vector<Tensor> split(int64_t split_size, int64_t dim = 0) const;
  std::vector<Tensor> chunk(int64_t chunks, int64_t dim = 0) const;

 private:
  // Room for every element as T on the host; a count past what a tensor may hold or past this
  // machine's memory is refused before allocating, and one the host still cannot allocate is
  // an Error from to_vector rather than bad_alloc or length_error.
  template <typename T>
  std::vector<T> host_vector() const {
    size_t count = host_element_count(dtype_of<T>::value);
    try {
      return std::vector<T>(count);
    } catch (const std::bad_alloc&) {
      host_out_of_memory(count, dtype_of<T>::value);
    } catch (const std::length_error&) {
      host_out_of_memory(count, dtype_of<T>::value);
    }
  }
  size_t host_element_count(DType dst_dtype) const;
  [[noreturn]] void host_out_of_memory(size_t count, DType dst_dtype) const;
  void read_elements(void* dst, DType dst_dtype, bool expect_one) const;
  void* checked_data_ptr(DType expected) const;

  std::shared_ptr<TensorImpl> impl_;
};

// std::vector<bool> packs bits, so bools travel through uint8_t.
template <>
inline std::vector<bool> Tensor::to_vector<bool>() const {
  std::vector<uint8_t> bytes = to_vector<uint8_t>();
  return std::vector<bool>(bytes.begin(), bytes.end());
}

// Prints like PyTorch: tensor([[ 0.1000, -2.0000], ...], dtype=int64, device='vulkan:0')
std::ostream& operator<<(std::ostream& out, const Tensor& tensor);
std::string to_string(const Tensor& tensor);
std::string shape_string(const Shape& shape);  // "[32,784]"

}  // namespace ember
