// CPU elementwise family: unary, binary, binary_scalar, where and clamp.
//
// The op and the dtype are dispatched once per call; the loops see only an inlined
// lambda, so contiguous runs compile to plain vector code. On x86-64 each contiguous
// loop also exists in an AVX2 build, picked at run time. float32 exp and the functions
// built on it (tanh, sigmoid, silu, gelu, erf) use a polynomial exp that vectorises,
// because std::exp does not. float16 and bfloat16 runs are converted to float32 in
// blocks on the stack, computed by the float32 loops and rounded once on store.
#include <atomic>
#include <bit>
#include <cmath>
#include <limits>
#include <type_traits>

#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/half.h"
#include "backend/cpu/loops.h"
#include "backend/cpu/simd.h"
#include "backend/cpu/vec_math.h"

namespace ember::cpu {

namespace {

template <typename T>
T& at(char* base, int64_t stride, int64_t i) {
  return *reinterpret_cast<T*>(base + i * stride);
}

// buffer[0, n) = the 16-bit elements at p, byte stride apart (0 for a broadcast).
template <typename T>
void load_block(const char* p, int64_t stride, int64_t n, float* buffer) {
  if (stride == sizeof(T)) {
    widen(reinterpret_cast<const T*>(p), buffer, n);
  } else if (stride == 0) {
    std::fill_n(buffer, n, load(*reinterpret_cast<const T*>(p)));
  } else {
    for (int64_t i = 0; i < n; ++i) buffer[i] = load(at<T>(const_cast<char*>(p), stride, i));
  }
}

// The n computed values of buffer stored at p as Out (16-bit floats rounded, bool as is).
template <typename Out, typename V>
void store_block(const V* buffer, char* p, int64_t stride, int64_t n) {
  if constexpr (is_16bit_float_v<Out>) {
    if (stride == sizeof(Out)) {
      narrow(buffer, reinterpret_cast<Out*>(p), n);
      return;
    }
  }
  for (int64_t i = 0; i < n; ++i) at<Out>(p, stride, i) = store<Out>(buffer[i]);
}

// The result type of f on float32 values: float for arithmetic, bool for predicates.
template <typename F, typename... Args>
using result_of_t = std::decay_t<std::invoke_result_t<const F&, Args...>>;

// out = f(x) for 16-bit x: f sees float32 values, kConvertBlock at a time.
template <typename Out, typename In, typename F>
void unary_kernel_16bit(const Tensor& x, const Tensor& out, const F& f) {
  StridedLoop<2> loop(out.shape(), {&out, &x});
  loop.run(kElementwiseGrain,
           [&](const std::array<char*, 2>& p, const std::array<int64_t, 2>& s, int64_t n) {
             float in[kConvertBlock];
             result_of_t<F, float> result[kConvertBlock];
             for (int64_t done = 0; done < n; done += kConvertBlock) {
               int64_t len = std::min(kConvertBlock, n - done);
               load_block<In>(p[1] + done * s[1], s[1], len, in);
               map1(result, in, len, f);
               store_block<Out>(result, p[0] + done * s[0], s[0], len);
             }
           });
}

// out = f(a, b) for 16-bit a and b; broadcast operands fill their block with one value.
template <typename Out, typename T, typename F>
void binary_kernel_16bit(const Tensor& a, const Tensor& b, const Tensor& out, const F& f) {
  StridedLoop<3> loop(out.shape(), {&out, &a, &b});
  loop.run(kElementwiseGrain,
           [&](const std::array<char*, 3>& p, const std::array<int64_t, 3>& s, int64_t n) {
             float in_a[kConvertBlock], in_b[kConvertBlock];
             result_of_t<F, float, float> result[kConvertBlock];
             for (int64_t done = 0; done < n; done += kConvertBlock) {
               int64_t len = std::min(kConvertBlock, n - done);
               load_block<T>(p[1] + done * s[1], s[1], len, in_a);
               load_block<T>(p[2] + done * s[2], s[2], len, in_b);
               map2(result, in_a, in_b, len, f);
               store_block<Out>(result, p[0] + done * s[0], s[0], len);
             }
           });
}

// out = f(x) elementwise for x of a compute dtype.
template <typename Out, typename In, typename F>
void unary_kernel_native(const Tensor& x, const Tensor& out, const F& f) {
  if (x.is_contiguous() && out.is_contiguous()) {
    const In* src = data_of<In>(x);
    Out* dst = data_of<Out>(out);
    parallel_for(0, out.numel(), kElementwiseGrain,
                 [&](int64_t b, int64_t e) { map1(dst + b, src + b, e - b, f); });
    return;
  }
  StridedLoop<2> loop(out.shape(), {&out, &x});
  loop.run(kElementwiseGrain,
           [&](const std::array<char*, 2>& p, const std::array<int64_t, 2>& s, int64_t n) {
             if (s[0] == sizeof(Out) && s[1] == sizeof(In)) {
               map1(reinterpret_cast<Out*>(p[0]), reinterpret_cast<const In*>(p[1]), n, f);
               return;
             }
             for (int64_t i = 0; i < n; ++i) at<Out>(p[0], s[0], i) = f(at<In>(p[1], s[1], i));
           });
}

// out = f(a, b) elementwise; a broadcast operand (stride 0) keeps the vector loop.
template <typename Out, typename T, typename F>
void binary_kernel_native(const Tensor& a, const Tensor& b, const Tensor& out, const F& f) {
  if (a.is_contiguous() && b.is_contiguous() && out.is_contiguous()) {
    const T* pa = data_of<T>(a);
    const T* pb = data_of<T>(b);
    Out* dst = data_of<Out>(out);
    parallel_for(0, out.numel(), kElementwiseGrain,
                 [&](int64_t s, int64_t e) { map2(dst + s, pa + s, pb + s, e - s, f); });
    return;
  }
  StridedLoop<3> loop(out.shape(), {&out, &a, &b});
  loop.run(kElementwiseGrain,
           [&](const std::array<char*, 3>& p, const std::array<int64_t, 3>& s, int64_t n) {
             auto* dst = reinterpret_cast<Out*>(p[0]);
             const auto* pa = reinterpret_cast<const T*>(p[1]);
             const auto* pb = reinterpret_cast<const T*>(p[2]);
             constexpr int64_t unit = sizeof(T);
             if (s[0] == sizeof(Out) && s[1] == unit && s[2] == unit) {
               map2(dst, pa, pb, n, f);
             } else if (s[0] == sizeof(Out) && s[1] == unit && s[2] == 0) {
               T vb = *pb;
               map1(dst, pa, n, [&](T va) { return f(va, vb); });
             } else if (s[0] == sizeof(Out) && s[1] == 0 && s[2] == unit) {
               T va = *pa;
               map1(dst, pb, n, [&](T vb) { return f(va, vb); });
             } else {
               for (int64_t i = 0; i < n; ++i) {
                 at<Out>(p[0], s[0], i) = f(at<T>(p[1], s[1], i), at<T>(p[2], s[2], i));
               }
             }
           });
}

// out = f(x) elementwise; out is contiguous, x any view of out's shape.
template <typename Out, typename In, typename F>
void unary_kernel(const Tensor& x, const Tensor& out, const F& f) {
  if constexpr (is_16bit_float_v<In>) {
    unary_kernel_16bit<Out, In>(x, out, f);
  } else {
    unary_kernel_native<Out, In>(x, out, f);
  }
}

template <typename Out, typename T, typename F>
void binary_kernel(const Tensor& a, const Tensor& b, const Tensor& out, const F& f) {
  if constexpr (is_16bit_float_v<T>) {
    binary_kernel_16bit<Out, T>(a, b, out, f);
  } else {
    binary_kernel_native<Out, T>(a, b, out, f);
  }
}

template <typename T>
T scalar_as(Scalar value) {
  return value.is_floating_point() ? convert<T>(value.to_double()) : convert<T>(value.to_int());
}

template <typename T>
constexpr bool is_int_v = std::is_integral_v<T> && !std::is_same_v<T, bool>;

// ---- the unary functions, by op and type ----

constexpr double kSqrt2OverPi = 0.79788456080286535588;
constexpr double kGeluTanhCoeff = 0.044715;

// NaN stays NaN, as torch.sign.
template <typename T>
T sign_of(T x) {
  T sign = static_cast<T>((T(0) < x) - (x < T(0)));
  return x != x ? x : sign;
}

template <typename T>
T neg_of(T x) {
  if constexpr (is_int_v<T>) {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(U(0) - static_cast<U>(x));
  } else {
    return -x;
  }
}

template <typename T>
T abs_of(T x) {
  if constexpr (std::is_unsigned_v<T>) {
    return x;
  } else {
    return x < T(0) ? neg_of(x) : x;
  }
}

// The element function of a floating-point unary op.
template <UnaryOp kOp, typename T>
T floating_unary(T x) {
  constexpr bool f32 = std::is_same_v<T, float>;
  if constexpr (kOp == UnaryOp::Exp) {
    if constexpr (f32) return exp_f32(x);
    return std::exp(x);
  } else if constexpr (kOp == UnaryOp::Log) {
    return std::log(x);
  } else if constexpr (kOp == UnaryOp::Log1p) {
    return std::log1p(x);
  } else if constexpr (kOp == UnaryOp::Expm1) {
    return std::expm1(x);
  } else if constexpr (kOp == UnaryOp::Sqrt) {
    return std::sqrt(x);
  } else if constexpr (kOp == UnaryOp::Rsqrt) {
    return T(1) / std::sqrt(x);
  } else if constexpr (kOp == UnaryOp::Sin) {
    return std::sin(x);
  } else if constexpr (kOp == UnaryOp::Cos) {
    return std::cos(x);
  } else if constexpr (kOp == UnaryOp::Tanh) {
    if constexpr (f32) return tanh_f32(x);
    return std::tanh(x);
  } else if constexpr (kOp == UnaryOp::Sigmoid) {
    if constexpr (f32) return sigmoid_f32(x);
    return T(1) / (T(1) + std::exp(-x));
  } else if constexpr (kOp == UnaryOp::GeluErf) {
    if constexpr (f32) return gelu_erf_f32(x);
    return T(0.5) * x * std::erfc(-x * T(0.70710678118654752));
  } else if constexpr (kOp == UnaryOp::GeluTanh) {
    T inner = T(kSqrt2OverPi) * (x + T(kGeluTanhCoeff) * x * x * x);
    if constexpr (f32) return 0.5f * x * (1.0f + tanh_f32(inner));
    return T(0.5) * x * (T(1) + std::tanh(inner));
  } else if constexpr (kOp == UnaryOp::Silu) {
    if constexpr (f32) return x * sigmoid_f32(x);
    return x / (T(1) + std::exp(-x));
  } else if constexpr (kOp == UnaryOp::Softplus) {
    return x > T(20) ? x : std::log1p(std::exp(x));
  } else if constexpr (kOp == UnaryOp::Erf) {
    if constexpr (f32) return erf_f32(x);
    return std::erf(x);
  } else if constexpr (kOp == UnaryOp::Floor) {
    return std::floor(x);
  } else if constexpr (kOp == UnaryOp::Ceil) {
    return std::ceil(x);
  } else if constexpr (kOp == UnaryOp::Round) {
    return std::nearbyint(x);  // the default rounding mode sends halves to even
  } else if constexpr (kOp == UnaryOp::Reciprocal) {
    return T(1) / x;
  }
}

template <UnaryOp kOp>
void floating_unary_kernel(const Tensor& x, const Tensor& out) {
  EMBER_DISPATCH_FLOATING_AND_16BIT(x.dtype(), unary_op_name(kOp), [&] {
    using C = compute_t<T>;
    unary_kernel<T, T>(x, out, [](C v) { return floating_unary<kOp, C>(v); });
  });
}

// Neg, Abs, Sign and Relu: every numeric dtype keeps its type.
template <typename F>
void numeric_unary_kernel(UnaryOp op, const Tensor& x, const Tensor& out, const F& f) {
  EMBER_DISPATCH_COMPUTE_AND_16BIT(x.dtype(), unary_op_name(op), [&] {
    unary_kernel<T, T>(x, out, [&](compute_t<T> v) { return f(v); });
  });
}

template <typename F>
void predicate_kernel(UnaryOp op, const Tensor& x, const Tensor& out, const F& f) {
  EMBER_DISPATCH_COMPUTE_AND_16BIT(x.dtype(), unary_op_name(op), [&] {
    unary_kernel<bool, T>(x, out, [&](compute_t<T> v) { return f(v); });
  });
}

// ---- the binary functions ----

template <typename T>
T wrapping_add(T a, T b) {
  if constexpr (is_int_v<T>) {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(a) + static_cast<U>(b));
  } else {
    return static_cast<T>(a + b);
  }
}

template <typename T>
T wrapping_sub(T a, T b) {
  if constexpr (is_int_v<T>) {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(a) - static_cast<U>(b));
  } else {
    return static_cast<T>(a - b);
  }
}

template <typename T>
T wrapping_mul(T a, T b) {
  if constexpr (is_int_v<T>) {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(a) * static_cast<U>(b));
  } else if constexpr (std::is_same_v<T, bool>) {
    return a && b;
  } else {
    return a * b;
  }
}

// Integer powers by squaring; negative exponents give 0 except for bases 1 and -1.
template <typename T>
T int_pow(T base, T exponent) {
  if constexpr (std::is_signed_v<T>) {
    if (exponent < 0) {
      if (base == 1) return 1;
      if (base == -1) return (exponent & 1) ? T(-1) : T(1);
      return 0;
    }
  }
  T result = 1;
  while (exponent) {
    if (exponent & 1) result = wrapping_mul(result, base);
    base = wrapping_mul(base, base);
    exponent = static_cast<T>(exponent >> 1);
  }
  return result;
}

// Python's %: the result takes the divisor's sign.
template <typename T>
T python_remainder(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    T r = std::fmod(a, b);
    return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
  } else if constexpr (std::is_unsigned_v<T>) {
    return a % b;
  } else {
    if (b == -1) return 0;  // INT_MIN % -1 would trap
    T r = a % b;
    return (r != 0 && ((r < 0) != (b < 0))) ? static_cast<T>(r + b) : r;
  }
}

// Integer remainder by zero raises after the loop, as PyTorch's ZeroDivisionError.
struct ZeroDivisorFlag {
  std::atomic<bool> seen{false};
  void raise_if_seen() const {
    EMBER_CHECK(!seen.load(std::memory_order_relaxed), "remainder", "integer division by zero");
  }
};

// Calls body(f) with f the element function of an arithmetic op on T.
template <typename T, typename Body>
void with_arithmetic(BinaryOp op, ZeroDivisorFlag& zero, const Body& body) {
  switch (op) {
    case BinaryOp::Add:
      return body([](T a, T b) { return wrapping_add(a, b); });
    case BinaryOp::Sub:
      return body([](T a, T b) { return wrapping_sub(a, b); });
    case BinaryOp::Mul:
      return body([](T a, T b) { return wrapping_mul(a, b); });
    case BinaryOp::Maximum:
      return body([](T a, T b) { return (a != a || a > b) ? a : b; });  // NaN wins
    case BinaryOp::Minimum:
      return body([](T a, T b) { return (a != a || a < b) ? a : b; });
    case BinaryOp::Div:
      if constexpr (std::is_floating_point_v<T>) return body([](T a, T b) { return a / b; });
      break;
    case BinaryOp::Pow:
      if constexpr (std::is_floating_point_v<T>) {
        return body([](T a, T b) { return std::pow(a, b); });
      } else if constexpr (!std::is_same_v<T, bool>) {
        return body([](T a, T b) { return int_pow(a, b); });
      }
      break;
    case BinaryOp::Remainder:
      if constexpr (std::is_floating_point_v<T>) {
        return body([](T a, T b) { return python_remainder(a, b); });
      } else if constexpr (!std::is_same_v<T, bool>) {
        return body([&zero](T a, T b) {
          if (b == 0) [[unlikely]] {
            zero.seen.store(true, std::memory_order_relaxed);
            return T(0);
          }
          return python_remainder(a, b);
        });
      }
      break;
    default:
      break;
  }
  detail::fail(binary_op_name(op), "dtype ", dtype_of<T>::value, " is not supported");
}

template <typename T, typename Body>
void with_predicate(BinaryOp op, const Body& body) {
  switch (op) {
    case BinaryOp::Eq:
      return body([](T a, T b) { return a == b; });
    case BinaryOp::Ne:
      return body([](T a, T b) { return a != b; });
    case BinaryOp::Lt:
      return body([](T a, T b) { return a < b; });
    case BinaryOp::Le:
      return body([](T a, T b) { return a <= b; });
    case BinaryOp::Gt:
      return body([](T a, T b) { return a > b; });
    case BinaryOp::Ge:
      return body([](T a, T b) { return a >= b; });
    case BinaryOp::LogicalAnd:
      return body([](T a, T b) { return a != T(0) && b != T(0); });
    case BinaryOp::LogicalOr:
      return body([](T a, T b) { return a != T(0) || b != T(0); });
    default:
      detail::fail(binary_op_name(op), "is not a comparison");
  }
}

// Calls run(f) with T bound and f the element function of op on compute_t<T> (writing
// it or bool).
template <typename Run>
void dispatch_binary(BinaryOp op, DType dtype, const Run& run) {
  EMBER_DISPATCH_COMPUTE_AND_16BIT(dtype, binary_op_name(op), [&] {
    using C = compute_t<T>;
    if (writes_bool(op)) {
      with_predicate<C>(op, [&](const auto& f) { run.template operator()<T, bool>(f); });
    } else {
      ZeroDivisorFlag zero;
      with_arithmetic<C>(op, zero, [&](const auto& f) { run.template operator()<T, T>(f); });
      zero.raise_if_seen();
    }
  });
}

}  // namespace

void CpuBackend::unary(UnaryOp op, const Tensor& x, const Tensor& out) {
  switch (op) {
#define EMBER_FLOATING_CASE(name) \
  case UnaryOp::name:             \
    return floating_unary_kernel<UnaryOp::name>(x, out);
    EMBER_FLOATING_CASE(Exp)
    EMBER_FLOATING_CASE(Log)
    EMBER_FLOATING_CASE(Log1p)
    EMBER_FLOATING_CASE(Expm1)
    EMBER_FLOATING_CASE(Sqrt)
    EMBER_FLOATING_CASE(Rsqrt)
    EMBER_FLOATING_CASE(Sin)
    EMBER_FLOATING_CASE(Cos)
    EMBER_FLOATING_CASE(Tanh)
    EMBER_FLOATING_CASE(Sigmoid)
    EMBER_FLOATING_CASE(GeluErf)
    EMBER_FLOATING_CASE(GeluTanh)
    EMBER_FLOATING_CASE(Silu)
    EMBER_FLOATING_CASE(Softplus)
    EMBER_FLOATING_CASE(Erf)
    EMBER_FLOATING_CASE(Floor)
    EMBER_FLOATING_CASE(Ceil)
    EMBER_FLOATING_CASE(Round)
    EMBER_FLOATING_CASE(Reciprocal)
#undef EMBER_FLOATING_CASE
    case UnaryOp::Neg:
      return numeric_unary_kernel(op, x, out, [](auto v) { return neg_of(v); });
    case UnaryOp::Abs:
      return numeric_unary_kernel(op, x, out, [](auto v) { return abs_of(v); });
    case UnaryOp::Sign:
      return numeric_unary_kernel(op, x, out, [](auto v) { return sign_of(v); });
    case UnaryOp::Relu:
      return numeric_unary_kernel(op, x, out,
                                  [](auto v) { return v < decltype(v)(0) ? decltype(v)(0) : v; });
    case UnaryOp::LogicalNot:
      return predicate_kernel(op, x, out, [](auto v) { return v == decltype(v)(0); });
    case UnaryOp::IsNan:
      return predicate_kernel(op, x, out, [](auto v) { return v != v; });
    case UnaryOp::IsInf:
      return predicate_kernel(op, x, out, [](auto v) {
        if constexpr (std::is_floating_point_v<decltype(v)>) return std::abs(v) == INFINITY;
        return false;
      });
  }
}

void CpuBackend::binary(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out) {
  dispatch_binary(op, a.dtype(), [&]<typename T, typename Out>(const auto& f) {
    binary_kernel<Out, T>(a, b, out, f);
  });
}

void CpuBackend::binary_scalar(BinaryOp op, const Tensor& a, Scalar b, bool scalar_first,
                               const Tensor& out) {
  dispatch_binary(op, a.dtype(), [&]<typename T, typename Out>(const auto& f) {
    using C = compute_t<T>;
    C s = scalar_as<C>(b);
    if (scalar_first) {
      unary_kernel<Out, T>(a, out, [&](C v) { return f(s, v); });
    } else {
      unary_kernel<Out, T>(a, out, [&](C v) { return f(v, s); });
    }
  });
}

void CpuBackend::where(const Tensor& condition, const Tensor& a, const Tensor& b,
                       const Tensor& out) {
  StridedLoop<4> loop(out.shape(), {&out, &condition, &a, &b});
  EMBER_DISPATCH_COMPUTE_AND_16BIT(out.dtype(), "where", [&] {
    loop.run(kElementwiseGrain,
             [](const std::array<char*, 4>& p, const std::array<int64_t, 4>& s, int64_t n) {
               if (s[0] == sizeof(T) && s[1] == 1 && s[2] == sizeof(T) && s[3] == sizeof(T)) {
                 auto* dst = reinterpret_cast<T*>(p[0]);
                 const auto* c = reinterpret_cast<const bool*>(p[1]);
                 const auto* pa = reinterpret_cast<const T*>(p[2]);
                 const auto* pb = reinterpret_cast<const T*>(p[3]);
                 for (int64_t i = 0; i < n; ++i) dst[i] = c[i] ? pa[i] : pb[i];
                 return;
               }
               for (int64_t i = 0; i < n; ++i) {
                 at<T>(p[0], s[0], i) =
                     at<bool>(p[1], s[1], i) ? at<T>(p[2], s[2], i) : at<T>(p[3], s[3], i);
               }
             });
  });
}

void CpuBackend::clamp(const Tensor& x, Scalar min, Scalar max, const Tensor& out) {
  EMBER_DISPATCH_COMPUTE_AND_16BIT(x.dtype(), "clamp", [&] {
    using C = compute_t<T>;
    C lo = scalar_as<C>(min), hi = scalar_as<C>(max);
    // Comparisons with NaN are false, so NaN passes through both.
    unary_kernel<T, T>(x, out, [lo, hi](C v) {
      C low = v < lo ? lo : v;
      return low > hi ? hi : low;
    });
  });
}

}  // namespace ember::cpu
