// Tensors made from nothing: constants, ranges and the identity.
#include <algorithm>
#include <cmath>

#include "core/sizes.h"
#include "ops/op_utils.h"

namespace ember {

namespace {

Tensor allocate(const Shape& shape, DType dtype, const Device& device, const char* op) {
  return make_tensor(shape, dtype, device, op);
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

// The element count of a range whose step leads from start to end, exact for any int64
// bounds: the span is taken in uint64, where end - start cannot overflow.
uint64_t integer_range_count(int64_t start, int64_t end, int64_t step) {
  if (end == start) return 0;
  uint64_t span = step > 0 ? static_cast<uint64_t>(end) - static_cast<uint64_t>(start)
                           : static_cast<uint64_t>(start) - static_cast<uint64_t>(end);
  uint64_t stride =
      step > 0 ? static_cast<uint64_t>(step) : uint64_t{0} - static_cast<uint64_t>(step);
  return (span - 1) / stride + 1;
}

// The count as an int64, refused when a tensor of type could not hold that many elements.
template <typename Count>
int64_t checked_range_count(Count count, DType type, double first, double last, double delta) {
  uint64_t limit = kMaxTensorBytes / itemsize(type);
  EMBER_CHECK(count <= static_cast<Count>(limit), "arange", "the range from ", first, " to ", last,
              " by ", delta, " has ", count, " elements; a ", type, " tensor holds at most ",
              limit);
  return static_cast<int64_t>(count);
}

Tensor integer_arange(int64_t start, int64_t end, int64_t step, DType type) {
  EMBER_CHECK(step > 0 ? end >= start : end <= start, "arange", "the step ", step,
              " does not lead from ", start, " to ", end);
  int64_t count =
      checked_range_count(integer_range_count(start, end, step), type, static_cast<double>(start),
                          static_cast<double>(end), static_cast<double>(step));
  Tensor host = make_tensor({count}, kInt64, kCPU, "arange");
  auto* values = host.data_ptr<int64_t>();
  // In uint64 so that no intermediate overflows; every value itself lies in [start, end).
  for (int64_t i = 0; i < count; ++i) {
    values[i] = static_cast<int64_t>(static_cast<uint64_t>(start) +
                                     static_cast<uint64_t>(i) * static_cast<uint64_t>(step));
  }
  return host;
}

Tensor floating_arange(double first, double last, double delta, DType type) {
  EMBER_CHECK((last - first) / delta >= 0, "arange", "the step ", delta, " does not lead from ",
              first, " to ", last);
  // (last - first) / delta may be infinite: the comparison in checked_range_count refuses it.
  int64_t count = checked_range_count(std::ceil((last - first) / delta), type, first, last, delta);
  Tensor host = make_tensor({count}, kFloat64, kCPU, "arange");
  auto* values = host.data_ptr<double>();
  for (int64_t i = 0; i < count; ++i) values[i] = first + static_cast<double>(i) * delta;
  return host;
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
  EMBER_CHECK(std::isfinite(first) && std::isfinite(last), "arange",
              "the bounds must be finite, got ", first, " and ", last);
  EMBER_CHECK(delta != 0 && std::isfinite(delta), "arange",
              "the step must be non-zero and finite, got ", delta);
  Tensor host = all_integers ? integer_arange(start.to_int(), end.to_int(), step.to_int(), type)
                             : floating_arange(first, last, delta, type);
  return host.to(type).to(device);
}

Tensor linspace(double start, double end, int64_t steps, DType dtype, const Device& device) {
  EMBER_CHECK(steps >= 0, "linspace", "number of steps must be non-negative, got ", steps);
  Tensor host = make_tensor({steps}, kFloat64, kCPU, "linspace");
  auto* values = host.data_ptr<double>();
  double step = steps > 1 ? (end - start) / static_cast<double>(steps - 1) : 0.0;
  // Fill from both ends, as PyTorch does, so that both endpoints are exact.
  int64_t half = steps == 1 ? 1 : steps / 2;
  for (int64_t i = 0; i < steps; ++i) {
    values[i] = i < half ? start + step * static_cast<double>(i)
                         : end - step * static_cast<double>(steps - 1 - i);
  }
  return host.to(dtype).to(device);
}

Tensor eye(int64_t n, int64_t m, DType dtype, const Device& device) {
  EMBER_CHECK(n >= 0, "eye", "size must be non-negative, got ", n);
  EMBER_CHECK(m >= -1, "eye", "the column count must be non-negative (or -1 for n), got ", m);
  if (m == -1) m = n;
  Tensor out = filled({n, m}, 0, dtype, device, "eye");
  int64_t diagonal = std::min(n, m);
  if (diagonal > 0) {
    Tensor ones_on_diagonal =
        make_view(out, {diagonal}, {checked_add(m, 1, "eye", "the diagonal stride")}, 0, "eye");
    ops::backend_of(out).fill(ones_on_diagonal, 1);
  }
  return out;
}

}  // namespace ember
