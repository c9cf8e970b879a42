// The CPU backend's loop machinery: threads, dtype dispatch and strided iteration.
//
// Kernels see runs of elements: a base pointer and a byte stride per operand and a
// run length. The caller's inner loop specialises the common cases (every stride
// equal to the element size, or 0 for a broadcast scalar) so the compiler vectorises
// them; views and broadcasts take the general path with no per-element index math.
#pragma once

#include <omp.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <exception>
#include <mutex>

#include "core/check.h"
#include "core/tensor_impl.h"
#include "ember/dtype.h"

namespace ember::cpu {

// Elements below which a cheap elementwise kernel stays on one thread.
inline constexpr int64_t kElementwiseGrain = 32768;

// Splits [begin, end) into one contiguous range per thread, at most one range per
// grain. Exceptions thrown by f are rethrown on the calling thread.
template <typename F>
void parallel_for(int64_t begin, int64_t end, int64_t grain, const F& f) {
  int64_t n = end - begin;
  if (n <= 0) return;
  int max_threads = omp_in_parallel() ? 1 : omp_get_max_threads();
  int64_t threads = std::min<int64_t>(max_threads, (n + grain - 1) / std::max<int64_t>(grain, 1));
  if (threads <= 1) {
    f(begin, end);
    return;
  }
  std::exception_ptr error;
  std::mutex error_mutex;
  // clang-format off
#pragma omp parallel num_threads(static_cast<int>(threads))
  // clang-format on
  {
    int64_t t = omp_get_thread_num();
    int64_t chunk = (n + threads - 1) / threads;
    int64_t b = begin + t * chunk, e = std::min(end, b + chunk);
    if (b < e) {
      try {
        f(b, e);
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!error) error = std::current_exception();
      }
    }
  }
  if (error) std::rethrow_exception(error);
}

template <typename T>
inline T* data_of(const Tensor& t) {
  return static_cast<T*>(t.impl()->data());
}

// Calls body with T = the C++ type of dtype.
#define EMBER_DTYPE_CASE(dtype_value, type, ...) \
  case dtype_value: {                            \
    using T = type;                              \
    __VA_ARGS__();                               \
    break;                                       \
  }

// The cases of each dtype group (integral: the integers and bool), for the switches below.
#define EMBER_FLOATING_CASES(...)                         \
  EMBER_DTYPE_CASE(::ember::kFloat32, float, __VA_ARGS__) \
  EMBER_DTYPE_CASE(::ember::kFloat64, double, __VA_ARGS__)
#define EMBER_16BIT_CASES(...)                                    \
  EMBER_DTYPE_CASE(::ember::kFloat16, ::ember::Half, __VA_ARGS__) \
  EMBER_DTYPE_CASE(::ember::kBFloat16, ::ember::BFloat16, __VA_ARGS__)
#define EMBER_INTEGRAL_CASES(...)                         \
  EMBER_DTYPE_CASE(::ember::kInt32, int32_t, __VA_ARGS__) \
  EMBER_DTYPE_CASE(::ember::kInt64, int64_t, __VA_ARGS__) \
  EMBER_DTYPE_CASE(::ember::kUInt8, uint8_t, __VA_ARGS__) \
  EMBER_DTYPE_CASE(::ember::kBool, bool, __VA_ARGS__)

#define EMBER_UNSUPPORTED_DTYPE(dtype, op) \
  default:                                 \
    ::ember::detail::fail(op, "dtype ", dtype, " is not supported here");
#define EMBER_NOT_FLOATING(dtype, op) \
  default:                            \
    ::ember::detail::fail(op, "expects a floating-point tensor, got ", dtype);

#define EMBER_DISPATCH_COMPUTE(dtype, op, ...) \
  switch (dtype) {                             \
    EMBER_FLOATING_CASES(__VA_ARGS__)          \
    EMBER_INTEGRAL_CASES(__VA_ARGS__)          \
    EMBER_UNSUPPORTED_DTYPE(dtype, op)         \
  }

#define EMBER_DISPATCH_FLOATING(dtype, op, ...) \
  switch (dtype) {                              \
    EMBER_FLOATING_CASES(__VA_ARGS__)           \
    EMBER_NOT_FLOATING(dtype, op)               \
  }

// The same with float16 and bfloat16 added: kernels compute them in compute_t<T> (half.h).
#define EMBER_DISPATCH_COMPUTE_AND_16BIT(dtype, op, ...) \
  switch (dtype) {                                       \
    EMBER_FLOATING_CASES(__VA_ARGS__)                    \
    EMBER_16BIT_CASES(__VA_ARGS__)                       \
    EMBER_INTEGRAL_CASES(__VA_ARGS__)                    \
    EMBER_UNSUPPORTED_DTYPE(dtype, op)                   \
  }

#define EMBER_DISPATCH_FLOATING_AND_16BIT(dtype, op, ...) \
  switch (dtype) {                                        \
    EMBER_FLOATING_CASES(__VA_ARGS__)                     \
    EMBER_16BIT_CASES(__VA_ARGS__)                        \
    EMBER_NOT_FLOATING(dtype, op)                         \
  }

#define EMBER_DISPATCH_ALL(dtype, op, ...) \
  switch (dtype) {                         \
    EMBER_FLOATING_CASES(__VA_ARGS__)      \
    EMBER_16BIT_CASES(__VA_ARGS__)         \
    EMBER_INTEGRAL_CASES(__VA_ARGS__)      \
  }

// Converts between element types as PyTorch's casts do (bool is "not zero").
template <typename To, typename From>
inline To convert(From value) {
  if constexpr (std::is_same_v<To, From>) {
    return value;
  } else if constexpr (std::is_same_v<From, Half> || std::is_same_v<From, BFloat16>) {
    return convert<To>(static_cast<float>(value));
  } else if constexpr (std::is_same_v<To, bool>) {
    return value != From(0);
  } else if constexpr (std::is_same_v<To, Half> || std::is_same_v<To, BFloat16>) {
    return To(static_cast<float>(value));
  } else {
    return static_cast<To>(value);
  }
}

inline constexpr int kMaxLoopDims = 16;

// A tensor iteration over a common shape for N operands, with size-1 dims dropped and
// neighbouring dims merged where every operand allows it.
template <size_t N>
class StridedLoop {
 public:
  StridedLoop(const Shape& shape, const std::array<const Tensor*, N>& operands) {
    for (size_t k = 0; k < N; ++k) {
      base_[k] = static_cast<char*>(operands[k]->impl()->data());
    }
    numel_ = 1;
    for (size_t d = 0; d < shape.size(); ++d) {
      numel_ *= shape[d];
      if (shape[d] == 1) continue;
      std::array<int64_t, N> strides;
      for (size_t k = 0; k < N; ++k) {
        const Tensor& t = *operands[k];
        strides[k] = t.impl()->strides()[d] * static_cast<int64_t>(itemsize(t.dtype()));
      }
      if (ndim_ > 0 && mergeable(strides, shape[d])) {
        sizes_[ndim_ - 1] *= shape[d];
        for (size_t k = 0; k < N; ++k) strides_[k][ndim_ - 1] = strides[k];
        continue;
      }
      EMBER_CHECK(ndim_ < kMaxLoopDims, "cpu", "tensors with more than ", kMaxLoopDims,
                  " non-mergeable dims are not supported");
      sizes_[ndim_] = shape[d];
      for (size_t k = 0; k < N; ++k) strides_[k][ndim_] = strides[k];
      ++ndim_;
    }
    if (ndim_ == 0) {  // a single element
      sizes_[0] = 1;
      for (size_t k = 0; k < N; ++k) strides_[k][0] = 0;
      ndim_ = 1;
    }
  }

  int64_t numel() const { return numel_; }

  // Calls run(ptrs, byte_strides, n) over consecutive runs of the innermost dim,
  // splitting the elements across threads.
  template <typename Run>
  void run(int64_t grain, const Run& run) const {
    parallel_for(0, numel_, grain, [&](int64_t begin, int64_t end) { run_range(begin, end, run); });
  }

  template <typename Run>
  void run_range(int64_t begin, int64_t end, const Run& run) const {
    std::array<int64_t, kMaxLoopDims> coord{};
    int64_t rest = begin;
    for (int d = ndim_ - 1; d >= 0; --d) {
      coord[d] = rest % sizes_[d];
      rest /= sizes_[d];
    }
    std::array<int64_t, N> inner_strides;
    for (size_t k = 0; k < N; ++k) inner_strides[k] = strides_[k][ndim_ - 1];
    while (begin < end) {
      std::array<char*, N> ptrs;
      for (size_t k = 0; k < N; ++k) {
        int64_t offset = 0;
        for (int d = 0; d < ndim_; ++d) offset += coord[d] * strides_[k][d];
        ptrs[k] = base_[k] + offset;
      }
      int64_t n = std::min(sizes_[ndim_ - 1] - coord[ndim_ - 1], end - begin);
      run(ptrs, inner_strides, n);
      begin += n;
      coord[ndim_ - 1] += n;
      for (int d = ndim_ - 1; d > 0 && coord[d] == sizes_[d]; --d) {
        coord[d] = 0;
        ++coord[d - 1];
      }
    }
  }

 private:
  bool mergeable(const std::array<int64_t, N>& strides, int64_t size) const {
    for (size_t k = 0; k < N; ++k) {
      if (strides_[k][ndim_ - 1] != strides[k] * size) return false;
    }
    return true;
  }

  std::array<char*, N> base_{};
  std::array<std::array<int64_t, kMaxLoopDims>, N> strides_{};
  std::array<int64_t, kMaxLoopDims> sizes_{};
  int ndim_ = 0;
  int64_t numel_ = 0;
};

}  // namespace ember::cpu
