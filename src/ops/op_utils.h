// Helpers shared by the front-end ops: dims, dtypes, devices and broadcasting.
#pragma once

#include <string>
#include <vector>

#include "core/backend.h"
#include "core/check.h"
#include "core/tensor_impl.h"
#include "ember/ops.h"

namespace ember::ops {

// A dim in [-ndim, ndim) as an index in [0, ndim).
int64_t normalize_dim(int64_t dim, int64_t ndim, const char* op);
// Sorted, normalised dims; an empty list means every dim; a repeated dim is an error.
std::vector<int64_t> normalize_dims(const Dims& dims, int64_t ndim, const char* op);

inline bool is_16bit_float(DType dtype) { return dtype == kFloat16 || dtype == kBFloat16; }
// The dtype arithmetic on dtype's data runs in: float32 for float16 and bfloat16.
inline DType compute_dtype(DType dtype) { return is_16bit_float(dtype) ? kFloat32 : dtype; }
// The dtype `primitive` is handed data of dtype in on device: the dtype itself, or
// float32 for 16-bit data the backend declines (Backend::supports).
inline DType kernel_dtype(DType dtype, const Device& device, Primitive primitive) {
  if (!is_16bit_float(dtype)) return dtype;
  return backend_for(device).supports(primitive, dtype) ? dtype : kFloat32;
}
// torch.result_type: tensors with dims outrank zero-dim tensors, which outrank numbers.
DType result_type(const Tensor& a, const Tensor& b);
DType result_type(const Tensor& a, Scalar b);

void check_defined(const Tensor& x, const char* op);
// In-place changes are refused on tensors that autograd tracks.
void check_inplace_allowed(const Tensor& x, const char* op);
void check_same_device(const Tensor& a, const Tensor& b, const char* op);

// The shape a and b broadcast to; an error names op when they do not.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);
// x with size-1 and missing leading dims stretched to shape by zero strides; no autograd.
Tensor expand_view(const Tensor& x, const Shape& shape);
// x converted to dtype, without autograd and without a copy when it already is.
Tensor cast(const Tensor& x, DType dtype, const char* op);

inline Backend& backend_of(const Tensor& x) { return backend_for(x.device()); }

// Errors raised by a shared kernel carry the name of the op the user called.
template <typename F>
Tensor renamed_errors(const char* op, const F& f) {
  try {
    return f();
  } catch (const Error& e) {
    std::string message = e.what();
    size_t end = message.find("] ");
    throw Error("[" + std::string(op) + message.substr(end == std::string::npos ? 0 : end));
  }
}

}  // namespace ember::ops
