// Tensors made from nothing: constants, ranges and the identity.
#include <cmath>

#include "ops/op_utils.h"

namespace ember {

namespace {

Tensor allocate(const Shape& shape, DType dtype, const Device& device, const char* op) {
  int64_t numel = 1;
  for (int64_t s : shape) {
    EMBER_CHECK(s >= 0, op, "negative size in shape ", shape);
    EMBER_CHECK(!__builtin_mul_overflow(numel, s, &numel), op, "shape ", shape,
                " has more elements than an int64 counts");
  }
  return make_tensor(shape, dtype, device);
}

Tensor filled(const Shape& shape, Scalar value, DType dtype, const Device& device, const char* op) {
  Tensor out = allocate(shape, dtype, device, op);
  ops::backend_of(out).fill(out, value);
  return out;
}

}  // namespace

Tensor empty(const Shape& shape, DType dtype, const Device& device) {
  return allocate(shape, dtype, device, "empty");
}
Tensor full(const Shape& shape, Scalar value, DType dtype, const Device& device) {
  return filled(shape, value, dtype, device, "full");
}
Tensor zeros(const Shape& shape, DType dtype, const Device& device) {
  return filled(shape, 0, dtype, device, "zeros");
}
Tensor ones(const Shape& shape, DType dtype, const Device& device) {
  return filled(shape, 1, dtype, device, "ones");
}
Tensor empty_like(const Tensor& x) { return empty(x.shape(), x.dtype(), x.device()); }
Tensor zeros_like(const Tensor& x) { return zeros(x.shape(), x.dtype(), x.device()); }
Tensor ones_like(const Tensor& x) { return ones(x.shape(), x.dtype(), x.device()); }
Tensor full_like(const Tensor& x, Scalar value) {
  return full(x.shape(), value, x.dtype(), x.device());
}
Tensor scalar_tensor(Scalar value, DType dtype, const Device& device) {
  return full({}, value, dtype, device);
}

namespace {

template <typename T>
std::vector<T> integer_range(int64_t start, int64_t step, int64_t count) {
  std::vector<T> values(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) values[i] = static_cast<T>(start + i * step);
  return values;
}

}  // namespace

Tensor arange(Scalar end, std::optional<DType> dtype, const Device& device) {
  return arange(0, end, 1, dtype, device);
}

Tensor arange(Scalar start, Scalar end, Scalar step, std::optional<DType> dtype,
              const Device& device) {
  bool all_integers =
      !start.is_floating_point() && !end.is_floating_point() && !step.is_floating_point();
  DType type = dtype.value_or(all_integers ? kInt64 : kFloat32);
  double first = start.to_double(), last = end.to_double(), delta = step.to_double();
  EMBER_CHECK(delta != 0 && std::isfinite(first) && std::isfinite(last), "arange",
              "step must be non-zero and the bounds finite");
  EMBER_CHECK((last - first) / delta >= 0, "arange", "the step ", delta, " does not lead from ",
              first, " to ", last);
  int64_t count = static_cast<int64_t>(std::ceil((last - first) / delta));
  Shape shape{count};
  if (all_integers) {
    auto values = integer_range<int64_t>(start.to_int(), step.to_int(), count);
    return from_data(values.data(), count, kInt64, shape).to(type).to(device);
  }
  std::vector<double> values(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) values[i] = first + static_cast<double>(i) * delta;
  return from_data(values.data(), count, kFloat64, shape).to(type).to(device);
}

Tensor linspace(double start, double end, int64_t steps, DType dtype, const Device& device) {
  EMBER_CHECK(steps >= 0, "linspace", "number of steps must be non-negative, got ", steps);
  std::vector<double> values(static_cast<size_t>(steps));
  double step = steps > 1 ? (end - start) / static_cast<double>(steps - 1) : 0.0;
  // Fill from both ends, as PyTorch does, so that both endpoints are exact.
  int64_t half = steps == 1 ? 1 : steps / 2;
  for (int64_t i = 0; i < steps; ++i) {
    values[i] = i < half ? start + step * static_cast<double>(i)
                         : end - step * static_cast<double>(steps - 1 - i);
  }
  return from_data(values.data(), steps, kFloat64, {steps}).to(dtype).to(device);
}

Tensor eye(int64_t n, int64_t m, DType dtype, const Device& device) {
  if (m < 0) m = n;
  EMBER_CHECK(n >= 0, "eye", "size must be non-negative, got ", n);
  std::vector<uint8_t> values(static_cast<size_t>(n * m), 0);
  for (int64_t i = 0; i < std::min(n, m); ++i) values[i * m + i] = 1;
  return from_data(values.data(), n * m, kUInt8, {n, m}).to(dtype).to(device);
}

}  // namespace ember
