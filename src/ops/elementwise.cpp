// Elementwise ops: checks, broadcasting and PyTorch's type promotion in front of the
// unary/binary/where/clamp primitives, and each op's derivative written with ops.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <utility>

#include "autograd/autocast.h"
#include "autograd/graph.h"
#include "ops/op_utils.h"

namespace ember {

namespace {

using autograd::Grads;

void check_pair(const Tensor& a, const Tensor& b, const char* op) {
  ops::check_defined(a, op);
  ops::check_defined(b, op);
  ops::check_same_device(a, b, op);
}

DType floating_or_float32(DType dtype) { return is_floating_point(dtype) ? dtype : kFloat32; }

// The unary primitive computed in dtype's compute type; arithmetic results come back in dtype.
Tensor unary_forward(UnaryOp op, const Tensor& x, DType dtype) {
  DType compute = ops::kernel_dtype(dtype, x.device(), Primitive::Unary);
  Tensor out =
      make_tensor(x.shape(), writes_bool(op) ? kBool : compute, x.device(), unary_op_name(op));
  ops::backend_of(x).unary(op, ops::cast(x, compute, unary_op_name(op)), out);
  return writes_bool(op) ? out : ops::cast(out, dtype, unary_op_name(op));
}

Tensor binary_forward(BinaryOp op, const Tensor& a, const Tensor& b, DType dtype) {
  const char* name = binary_op_name(op);
  check_pair(a, b, name);
  Shape shape = ops::broadcast_shapes(a.shape(), b.shape(), name);
  DType compute = ops::kernel_dtype(dtype, a.device(), Primitive::Binary);
  Tensor out = make_tensor(shape, writes_bool(op) ? kBool : compute, a.device(), name);
  Tensor ea = ops::expand_view(ops::cast(a, compute, name), shape);
  Tensor eb = ops::expand_view(ops::cast(b, compute, name), shape);
  ops::backend_of(a).binary(op, ea, eb, out);
  return writes_bool(op) ? out : ops::cast(out, dtype, name);
}

Tensor scalar_forward(BinaryOp op, const Tensor& a, Scalar b, bool scalar_first, DType dtype) {
  ops::check_defined(a, binary_op_name(op));
  DType compute = ops::kernel_dtype(dtype, a.device(), Primitive::Binary);
  Tensor out =
      make_tensor(a.shape(), writes_bool(op) ? kBool : compute, a.device(), binary_op_name(op));
  ops::backend_of(a).binary_scalar(op, ops::cast(a, compute, binary_op_name(op)), b, scalar_first,
                                   out);
  return writes_bool(op) ? out : ops::cast(out, dtype, binary_op_name(op));
}

// What a derivative reads of its forward call. A node keeps only these tensors (and its
// inputs' shapes and dtypes), so a saved tensor keeps memory alive only where it must: add
// keeps nothing, exp its result, mul its inputs. A derivative is handed an undefined tensor
// for what it does not save.
enum Saved : unsigned { kNothing = 0, kFirst = 1, kSecond = 2, kResult = 4 };

// An input's shape and dtype, which its gradient must have.
struct InputMeta {
  Shape shape;
  DType dtype;
  explicit InputMeta(const Tensor& x) : shape(x.shape()), dtype(x.dtype()) {}
};

// A gradient reduced to its input's shape and converted to its input's dtype.
Tensor fit_to(const Tensor& grad, const InputMeta& input) {
  return ops::cast(autograd::sum_to(grad, input.shape), input.dtype, "backward");
}

Tensor saved_if(bool keep, const Tensor& x) { return keep ? x.detach() : Tensor(); }

// Records g -> df(g, x, y) for a one-input op; x (kFirst) and the output y (kResult) are
// kept detached when `saved` names them.
template <unsigned saved, typename F>
Tensor with_derivative(const char* name, const Tensor& x, const Tensor& out, F df) {
  if (autograd::needs_grad(x)) {
    autograd::record(name, {x}, out,
                     [df, meta = InputMeta(x), x = saved_if(saved & kFirst, x),
                      y = saved_if(saved & kResult, out)](const Tensor& g) {
                       return Grads{fit_to(df(g, x, y), meta)};
                     });
  }
  return out;
}

// The same for two inputs (kFirst, kSecond); only the gradients some input needs are
// computed.
template <unsigned saved, typename DA, typename DB>
Tensor with_derivatives(const char* name, const Tensor& a, const Tensor& b, const Tensor& out,
                        DA da, DB db) {
  bool need_a = autograd::needs_grad(a), need_b = autograd::needs_grad(b);
  if (!need_a && !need_b) return out;
  autograd::record(name, {a, b}, out,
                   [da, db, need_a, need_b, meta_a = InputMeta(a), meta_b = InputMeta(b),
                    a = saved_if(saved & kFirst, a), b = saved_if(saved & kSecond, b),
                    y = saved_if(saved & kResult, out)](const Tensor& g) {
                     return Grads{need_a ? fit_to(da(g, a, b, y), meta_a) : Tensor(),
                                  need_b ? fit_to(db(g, a, b, y), meta_b) : Tensor()};
                   });
  return out;
}

Tensor floating_unary(UnaryOp op, const Tensor& x) {
  ops::check_defined(x, unary_op_name(op));
  return unary_forward(op, x, floating_or_float32(x.dtype()));
}

void check_not_bool(const Tensor& x, const char* op) {
  EMBER_CHECK(x.dtype() != kBool, op, "expects a numeric tensor, got bool");
}

// floor, ceil, round and sign: piecewise constant, so their gradient is zero.
Tensor with_zero_derivative(const char* name, const Tensor& x, const Tensor& out) {
  return with_derivative<kNothing>(
      name, x, out, [](const Tensor& g, const Tensor&, const Tensor&) { return zeros_like(g); });
}

Tensor rounding(UnaryOp op, const Tensor& x) {
  const char* name = unary_op_name(op);
  ops::check_defined(x, name);
  if (!x.is_floating_point()) return x.detach().clone();  // integers are already whole
  return with_zero_derivative(name, x, unary_forward(op, x, x.dtype()));
}

Tensor predicate(UnaryOp op, const Tensor& x) {
  ops::check_defined(x, unary_op_name(op));
  return unary_forward(op, x, x.dtype());
}

Tensor compare(BinaryOp op, const Tensor& a, const Tensor& b) {
  check_pair(a, b, binary_op_name(op));
  return binary_forward(op, a, b, ops::result_type(a, b));
}

Tensor compare(BinaryOp op, const Tensor& a, Scalar b) {
  ops::check_defined(a, binary_op_name(op));
  return scalar_forward(op, a, b, false, ops::result_type(a, b));
}

Tensor grad_of_max_min(const Tensor& g, const Tensor& mine, const Tensor& other, bool maximum) {
  Tensor split = where(eq(mine, other), g * 0.5, g);
  return masked_fill(split, maximum ? lt(mine, other) : gt(mine, other), 0);
}

Tensor max_min(BinaryOp op, const Tensor& a, const Tensor& b) {
  check_pair(a, b, binary_op_name(op));
  Tensor out = binary_forward(op, a, b, ops::result_type(a, b));
  bool maximum = op == BinaryOp::Maximum;
  return with_derivatives<kFirst | kSecond>(
      binary_op_name(op), a, b, out,
      [maximum](const Tensor& g, const Tensor& a, const Tensor& b, const Tensor&) {
        return grad_of_max_min(g, a, b, maximum);
      },
      [maximum](const Tensor& g, const Tensor& a, const Tensor& b, const Tensor&) {
        return grad_of_max_min(g, b, a, maximum);
      });
}

DType division_dtype(DType dtype) { return floating_or_float32(dtype); }

// An integral bound of clamp pulled into the dtype's range, so the kernel can convert it.
Scalar clip_to(Scalar value, DType dtype) {
  if (is_floating_point(dtype)) return value;
  int64_t lo = dtype == kUInt8   ? 0
               : dtype == kInt32 ? std::numeric_limits<int32_t>::min()
                                 : std::numeric_limits<int64_t>::min();
  int64_t hi = dtype == kUInt8   ? 255
               : dtype == kInt32 ? std::numeric_limits<int32_t>::max()
                                 : std::numeric_limits<int64_t>::max();
  return std::clamp(value.to_int(), lo, hi);
}

Scalar lowest(DType dtype) {
  return is_floating_point(dtype) ? Scalar(-INFINITY)
                                  : clip_to(std::numeric_limits<int64_t>::min(), dtype);
}

Scalar highest(DType dtype) {
  return is_floating_point(dtype) ? Scalar(INFINITY)
                                  : clip_to(std::numeric_limits<int64_t>::max(), dtype);
}

}  // namespace

// ---- unary ----

Tensor neg(const Tensor& x) {
  ops::check_defined(x, "neg");
  EMBER_CHECK(x.dtype() != kBool, "neg",
              "negation of a bool tensor is not supported; use logical_not");
  Tensor out = unary_forward(UnaryOp::Neg, x, x.dtype());
  return with_derivative<kNothing>(
      "neg", x, out, [](const Tensor& g, const Tensor&, const Tensor&) { return -g; });
}

Tensor abs(const Tensor& x) {
  ops::check_defined(x, "abs");
  Tensor out = unary_forward(UnaryOp::Abs, x, x.dtype());
  return with_derivative<kFirst>(
      "abs", x, out, [](const Tensor& g, const Tensor& x, const Tensor&) { return g * sign(x); });
}

Tensor exp(const Tensor& x) {
  if (autocast::needs_float32(x)) return exp(autocast::to_float32(x));
  return with_derivative<kResult>(
      "exp", x, floating_unary(UnaryOp::Exp, x),
      [](const Tensor& g, const Tensor&, const Tensor& y) { return g * y; });
}

Tensor log(const Tensor& x) {
  if (autocast::needs_float32(x)) return log(autocast::to_float32(x));
  return with_derivative<kFirst>(
      "log", x, floating_unary(UnaryOp::Log, x),
      [](const Tensor& g, const Tensor& x, const Tensor&) { return g / x; });
}

Tensor log1p(const Tensor& x) {
  if (autocast::needs_float32(x)) return log1p(autocast::to_float32(x));
  return with_derivative<kFirst>(
      "log1p", x, floating_unary(UnaryOp::Log1p, x),
      [](const Tensor& g, const Tensor& x, const Tensor&) { return g / (x + 1); });
}

Tensor expm1(const Tensor& x) {
  if (autocast::needs_float32(x)) return expm1(autocast::to_float32(x));
  return with_derivative<kResult>(
      "expm1", x, floating_unary(UnaryOp::Expm1, x),
      [](const Tensor& g, const Tensor&, const Tensor& y) { return g * (y + 1); });
}

Tensor sqrt(const Tensor& x) {
  return with_derivative<kResult>(
      "sqrt", x, floating_unary(UnaryOp::Sqrt, x),
      [](const Tensor& g, const Tensor&, const Tensor& y) { return g / (y * 2); });
}

Tensor rsqrt(const Tensor& x) {
  if (autocast::needs_float32(x)) return rsqrt(autocast::to_float32(x));
  return with_derivative<kResult>(
      "rsqrt", x, floating_unary(UnaryOp::Rsqrt, x),
      [](const Tensor& g, const Tensor&, const Tensor& y) { return g * (y * y * y) * -0.5; });
}

Tensor sin(const Tensor& x) {
  return with_derivative<kFirst>(
      "sin", x, floating_unary(UnaryOp::Sin, x),
      [](const Tensor& g, const Tensor& x, const Tensor&) { return g * cos(x); });
}

Tensor cos(const Tensor& x) {
  return with_derivative<kFirst>(
      "cos", x, floating_unary(UnaryOp::Cos, x),
      [](const Tensor& g, const Tensor& x, const Tensor&) { return -g * sin(x); });
}

Tensor tanh(const Tensor& x) {
  return with_derivative<kResult>(
      "tanh", x, floating_unary(UnaryOp::Tanh, x),
      [](const Tensor& g, const Tensor&, const Tensor& y) { return g * (1 - y * y); });
}

Tensor sigmoid(const Tensor& x) {
  return with_derivative<kResult>(
      "sigmoid", x, floating_unary(UnaryOp::Sigmoid, x),
      [](const Tensor& g, const Tensor&, const Tensor& y) { return g * y * (1 - y); });
}

Tensor relu(const Tensor& x) {
  ops::check_defined(x, "relu");
  check_not_bool(x, "relu");
  Tensor out = unary_forward(UnaryOp::Relu, x, x.dtype());
  return with_derivative<kResult>(
      "relu", x, out,
      [](const Tensor& g, const Tensor&, const Tensor& y) { return where(y > 0, g, 0); });
}

Tensor gelu(const Tensor& x, const std::string& approximate) {
  EMBER_CHECK(approximate == "none" || approximate == "tanh", "gelu",
              "approximate must be 'none' or 'tanh', got '", approximate, "'");
  if (approximate == "none") {
    Tensor out = floating_unary(UnaryOp::GeluErf, x);
    return with_derivative<kFirst>(
        "gelu", x, out, [](const Tensor& g, const Tensor& x, const Tensor&) {
          constexpr double kInvSqrt2 = 0.70710678118654752, kInvSqrt2Pi = 0.39894228040143268;
          Tensor cdf = (erf(x * kInvSqrt2) + 1) * 0.5;
          return g * (cdf + x * exp(x * x * -0.5) * kInvSqrt2Pi);
        });
  }
  Tensor out = floating_unary(UnaryOp::GeluTanh, x);
  return with_derivative<kFirst>(
      "gelu", x, out, [](const Tensor& g, const Tensor& x, const Tensor&) {
        constexpr double kSqrt2OverPi = 0.79788456080286535588, kCoeff = 0.044715;
        Tensor t = tanh((x + x * x * x * kCoeff) * kSqrt2OverPi);
        Tensor inner_grad = (x * x * (3 * kCoeff) + 1) * kSqrt2OverPi;
        return g * ((t + 1) * 0.5 + x * 0.5 * (1 - t * t) * inner_grad);
      });
}

Tensor silu(const Tensor& x) {
  return with_derivative<kFirst>("silu", x, floating_unary(UnaryOp::Silu, x),
                                 [](const Tensor& g, const Tensor& x, const Tensor&) {
                                   Tensor s = sigmoid(x);
                                   return g * s * (x * (1 - s) + 1);
                                 });
}

Tensor softplus(const Tensor& x) {
  if (autocast::needs_float32(x)) return softplus(autocast::to_float32(x));
  return with_derivative<kFirst>("softplus", x, floating_unary(UnaryOp::Softplus, x),
                                 [](const Tensor& g, const Tensor& x, const Tensor&) {
                                   return where(x > 20, g, g * sigmoid(x));
                                 });
}

Tensor erf(const Tensor& x) {
  return with_derivative<kFirst>("erf", x, floating_unary(UnaryOp::Erf, x),
                                 [](const Tensor& g, const Tensor& x, const Tensor&) {
                                   constexpr double kTwoOverSqrtPi = 1.12837916709551257;
                                   return g * exp(-(x * x)) * kTwoOverSqrtPi;
                                 });
}

Tensor floor(const Tensor& x) { return rounding(UnaryOp::Floor, x); }
Tensor ceil(const Tensor& x) { return rounding(UnaryOp::Ceil, x); }
Tensor round(const Tensor& x) { return rounding(UnaryOp::Round, x); }

Tensor sign(const Tensor& x) {
  ops::check_defined(x, "sign");
  return with_zero_derivative("sign", x, unary_forward(UnaryOp::Sign, x, x.dtype()));
}

Tensor reciprocal(const Tensor& x) {
  if (autocast::needs_float32(x)) return reciprocal(autocast::to_float32(x));
  return with_derivative<kResult>(
      "reciprocal", x, floating_unary(UnaryOp::Reciprocal, x),
      [](const Tensor& g, const Tensor&, const Tensor& y) { return -g * y * y; });
}

Tensor square(const Tensor& x) {
  ops::check_defined(x, "square");
  DType dtype = x.dtype() == kBool ? kInt64 : x.dtype();  // as torch.square (x ** 2)
  Tensor out = binary_forward(BinaryOp::Mul, x, x, dtype);
  return with_derivative<kFirst>(
      "square", x, out, [](const Tensor& g, const Tensor& x, const Tensor&) { return g * x * 2; });
}

Tensor logical_not(const Tensor& x) { return predicate(UnaryOp::LogicalNot, x); }
Tensor isnan(const Tensor& x) { return predicate(UnaryOp::IsNan, x); }
Tensor isinf(const Tensor& x) { return predicate(UnaryOp::IsInf, x); }

// ---- binary ----

Tensor add(const Tensor& a, const Tensor& b, Scalar alpha) {
  check_pair(a, b, "add");
  DType dtype = ops::result_type(a, b);
  if (alpha.to_double() != 1.0) {
    EMBER_CHECK(is_floating_point(dtype) || !alpha.is_floating_point(), "add",
                "alpha must be an integer for ", dtype, " tensors, got ", alpha.to_double());
    return add(a, mul(b, alpha));
  }
  Tensor out = binary_forward(BinaryOp::Add, a, b, dtype);
  auto pass = [](const Tensor& g, const Tensor&, const Tensor&, const Tensor&) { return g; };
  return with_derivatives<kNothing>("add", a, b, out, pass, pass);
}

Tensor add(const Tensor& a, Scalar b) {
  ops::check_defined(a, "add");
  Tensor out = scalar_forward(BinaryOp::Add, a, b, false, ops::result_type(a, b));
  return with_derivative<kNothing>("add", a, out,
                                   [](const Tensor& g, const Tensor&, const Tensor&) { return g; });
}

Tensor sub(const Tensor& a, const Tensor& b, Scalar alpha) {
  check_pair(a, b, "sub");
  EMBER_CHECK(a.dtype() != kBool || b.dtype() != kBool, "sub",
              "subtraction of bool tensors is not supported; use logical_xor");
  if (alpha.to_double() != 1.0) {
    Scalar negated =
        alpha.is_floating_point() ? Scalar(-alpha.to_double()) : Scalar(-alpha.to_int());
    return add(a, b, negated);
  }
  Tensor out = binary_forward(BinaryOp::Sub, a, b, ops::result_type(a, b));
  return with_derivatives<kNothing>(
      "sub", a, b, out,
      [](const Tensor& g, const Tensor&, const Tensor&, const Tensor&) { return g; },
      [](const Tensor& g, const Tensor&, const Tensor&, const Tensor&) { return -g; });
}

Tensor sub(const Tensor& a, Scalar b) {
  ops::check_defined(a, "sub");
  EMBER_CHECK(a.dtype() != kBool, "sub", "subtraction from a bool tensor is not supported");
  Tensor out = scalar_forward(BinaryOp::Sub, a, b, false, ops::result_type(a, b));
  return with_derivative<kNothing>("sub", a, out,
                                   [](const Tensor& g, const Tensor&, const Tensor&) { return g; });
}

Tensor operator-(Scalar a, const Tensor& b) {
  ops::check_defined(b, "sub");
  EMBER_CHECK(b.dtype() != kBool, "sub", "subtraction of a bool tensor is not supported");
  Tensor out = scalar_forward(BinaryOp::Sub, b, a, true, ops::result_type(b, a));
  return with_derivative<kNothing>(
      "sub", b, out, [](const Tensor& g, const Tensor&, const Tensor&) { return -g; });
}

Tensor mul(const Tensor& a, const Tensor& b) {
  check_pair(a, b, "mul");
  Tensor out = binary_forward(BinaryOp::Mul, a, b, ops::result_type(a, b));
  return with_derivatives<kFirst | kSecond>(
      "mul", a, b, out,
      [](const Tensor& g, const Tensor&, const Tensor& b, const Tensor&) { return g * b; },
      [](const Tensor& g, const Tensor& a, const Tensor&, const Tensor&) { return g * a; });
}

Tensor mul(const Tensor& a, Scalar b) {
  ops::check_defined(a, "mul");
  Tensor out = scalar_forward(BinaryOp::Mul, a, b, false, ops::result_type(a, b));
  return with_derivative<kNothing>(
      "mul", a, out, [b](const Tensor& g, const Tensor&, const Tensor&) { return g * b; });
}

Tensor div(const Tensor& a, const Tensor& b) {
  check_pair(a, b, "div");
  Tensor out = binary_forward(BinaryOp::Div, a, b, division_dtype(ops::result_type(a, b)));
  return with_derivatives<kSecond | kResult>(
      "div", a, b, out,
      [](const Tensor& g, const Tensor&, const Tensor& b, const Tensor&) { return g / b; },
      [](const Tensor& g, const Tensor&, const Tensor& b, const Tensor& y) { return -g * y / b; });
}

Tensor div(const Tensor& a, Scalar b) {
  ops::check_defined(a, "div");
  Tensor out = scalar_forward(BinaryOp::Div, a, b, false, division_dtype(ops::result_type(a, b)));
  return with_derivative<kNothing>(
      "div", a, out, [b](const Tensor& g, const Tensor&, const Tensor&) { return g / b; });
}

Tensor operator/(Scalar a, const Tensor& b) {
  ops::check_defined(b, "div");
  Tensor out = scalar_forward(BinaryOp::Div, b, a, true, division_dtype(ops::result_type(b, a)));
  return with_derivative<kFirst | kResult>(
      "div", b, out, [](const Tensor& g, const Tensor& b, const Tensor& y) { return -g * y / b; });
}

Tensor pow(const Tensor& a, const Tensor& b) {
  if (autocast::needs_float32(a, b)) return pow(autocast::to_float32(a), autocast::to_float32(b));
  check_pair(a, b, "pow");
  Tensor out = binary_forward(BinaryOp::Pow, a, b, ops::result_type(a, b));
  return with_derivatives<kFirst | kSecond | kResult>(
      "pow", a, b, out,
      [](const Tensor& g, const Tensor& a, const Tensor& b, const Tensor&) {
        return g * masked_fill(b * pow(a, b - 1), eq(b, 0), 0);
      },
      [](const Tensor& g, const Tensor& a, const Tensor& b, const Tensor& y) {
        // 0^b has derivative 0 in b for b >= 0, where log(0) would give NaN.
        return g * masked_fill(y * log(a), logical_and(eq(a, 0), ge(b, 0)), 0);
      });
}

Tensor pow(const Tensor& a, Scalar b) {
  if (autocast::needs_float32(a)) return pow(autocast::to_float32(a), b);
  ops::check_defined(a, "pow");
  DType dtype = ops::result_type(a, b);
  EMBER_CHECK(is_floating_point(dtype) || b.to_int() >= 0, "pow",
              "integers to negative integer powers are not allowed, got exponent ", b.to_int());
  Tensor out = scalar_forward(BinaryOp::Pow, a, b, false, dtype);
  return with_derivative<kFirst>(
      "pow", a, out, [b](const Tensor& g, const Tensor& a, const Tensor&) {
        if (b.to_double() == 0.0) return zeros_like(g);
        Scalar lowered = b.is_floating_point() ? Scalar(b.to_double() - 1) : Scalar(b.to_int() - 1);
        return g * pow(a, lowered) * b;
      });
}

Tensor pow(Scalar a, const Tensor& b) {
  if (autocast::needs_float32(b)) return pow(a, autocast::to_float32(b));
  ops::check_defined(b, "pow");
  Tensor out = scalar_forward(BinaryOp::Pow, b, a, true, ops::result_type(b, a));
  return with_derivative<kFirst | kResult>("pow", b, out,
                                           [a](const Tensor& g, const Tensor& b, const Tensor& y) {
                                             if (a.to_double() == 0.0)
                                               return masked_fill(zeros_like(g), lt(b, 0), NAN);
                                             return g * y * std::log(a.to_double());
                                           });
}

Tensor maximum(const Tensor& a, const Tensor& b) { return max_min(BinaryOp::Maximum, a, b); }
Tensor minimum(const Tensor& a, const Tensor& b) { return max_min(BinaryOp::Minimum, a, b); }

Tensor remainder(const Tensor& a, const Tensor& b) {
  check_pair(a, b, "remainder");
  Tensor out = binary_forward(BinaryOp::Remainder, a, b, ops::result_type(a, b));
  return with_derivatives<kFirst | kSecond>(
      "remainder", a, b, out,
      [](const Tensor& g, const Tensor&, const Tensor&, const Tensor&) { return g; },
      [](const Tensor& g, const Tensor& a, const Tensor& b, const Tensor&) {
        return -g * floor(a / b);
      });
}

Tensor remainder(const Tensor& a, Scalar b) {
  ops::check_defined(a, "remainder");
  Tensor out = scalar_forward(BinaryOp::Remainder, a, b, false, ops::result_type(a, b));
  return with_derivative<kNothing>("remainder", a, out,
                                   [](const Tensor& g, const Tensor&, const Tensor&) { return g; });
}

Tensor eq(const Tensor& a, const Tensor& b) { return compare(BinaryOp::Eq, a, b); }
Tensor eq(const Tensor& a, Scalar b) { return compare(BinaryOp::Eq, a, b); }
Tensor ne(const Tensor& a, const Tensor& b) { return compare(BinaryOp::Ne, a, b); }
Tensor ne(const Tensor& a, Scalar b) { return compare(BinaryOp::Ne, a, b); }
Tensor lt(const Tensor& a, const Tensor& b) { return compare(BinaryOp::Lt, a, b); }
Tensor lt(const Tensor& a, Scalar b) { return compare(BinaryOp::Lt, a, b); }
Tensor le(const Tensor& a, const Tensor& b) { return compare(BinaryOp::Le, a, b); }
Tensor le(const Tensor& a, Scalar b) { return compare(BinaryOp::Le, a, b); }
Tensor gt(const Tensor& a, const Tensor& b) { return compare(BinaryOp::Gt, a, b); }
Tensor gt(const Tensor& a, Scalar b) { return compare(BinaryOp::Gt, a, b); }
Tensor ge(const Tensor& a, const Tensor& b) { return compare(BinaryOp::Ge, a, b); }
Tensor ge(const Tensor& a, Scalar b) { return compare(BinaryOp::Ge, a, b); }
Tensor logical_and(const Tensor& a, const Tensor& b) { return compare(BinaryOp::LogicalAnd, a, b); }
Tensor logical_or(const Tensor& a, const Tensor& b) { return compare(BinaryOp::LogicalOr, a, b); }

// ---- selection and clamping ----

Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b) {
  ops::check_defined(condition, "where");
  check_pair(a, b, "where");
  ops::check_same_device(condition, a, "where");
  EMBER_CHECK(condition.dtype() == kBool, "where", "condition must be bool, got ",
              condition.dtype());
  Shape shape = ops::broadcast_shapes(
      condition.shape(), ops::broadcast_shapes(a.shape(), b.shape(), "where"), "where");
  DType dtype = ops::result_type(a, b);
  DType compute = ops::kernel_dtype(dtype, a.device(), Primitive::Where);
  Tensor out = make_tensor(shape, compute, a.device(), "where");
  ops::backend_of(a).where(ops::expand_view(condition, shape),
                           ops::expand_view(ops::cast(a, compute, "where"), shape),
                           ops::expand_view(ops::cast(b, compute, "where"), shape), out);
  out = ops::cast(out, dtype, "where");
  bool need_a = autograd::needs_grad(a), need_b = autograd::needs_grad(b);
  if (need_a || need_b) {
    autograd::record("where", {condition, a, b}, out,
                     [need_a, need_b, c = condition.detach(), a = InputMeta(a),
                      b = InputMeta(b)](const Tensor& g) {
                       return Grads{Tensor(), need_a ? fit_to(where(c, g, 0), a) : Tensor(),
                                    need_b ? fit_to(where(c, 0, g), b) : Tensor()};
                     });
  }
  return out;
}

Tensor where(const Tensor& condition, const Tensor& a, Scalar b) {
  ops::check_defined(a, "where");
  return where(condition, a, scalar_tensor(b, ops::result_type(a, b), a.device()));
}

Tensor where(const Tensor& condition, Scalar a, const Tensor& b) {
  ops::check_defined(b, "where");
  return where(condition, scalar_tensor(a, ops::result_type(b, a), b.device()), b);
}

Tensor clamp(const Tensor& x, std::optional<Scalar> min, std::optional<Scalar> max) {
  ops::check_defined(x, "clamp");
  EMBER_CHECK(min || max, "clamp", "at least one of min and max must be given");
  check_not_bool(x, "clamp");
  DType dtype = x.dtype();
  if (min) dtype = promote_types(dtype, ops::result_type(x, *min));
  if (max) dtype = promote_types(dtype, ops::result_type(x, *max));
  DType compute = ops::kernel_dtype(dtype, x.device(), Primitive::Clamp);
  Tensor out = make_tensor(x.shape(), compute, x.device(), "clamp");
  ops::backend_of(x).clamp(ops::cast(x, compute, "clamp"),
                           min ? clip_to(*min, compute) : lowest(compute),
                           max ? clip_to(*max, compute) : highest(compute), out);
  out = ops::cast(out, dtype, "clamp");
  return with_derivative<kFirst>(
      "clamp", x, out, [min, max](const Tensor& g, const Tensor& x, const Tensor&) {
        Tensor inside = min && max ? logical_and(ge(x, *min), le(x, *max))
                        : min      ? ge(x, *min)
                                   : le(x, *max);
        return where(inside, g, 0);
      });
}

Tensor clamp_min(const Tensor& x, Scalar min) { return clamp(x, min, std::nullopt); }
Tensor clamp_max(const Tensor& x, Scalar max) { return clamp(x, std::nullopt, max); }

Tensor masked_fill(const Tensor& x, const Tensor& mask, Scalar value) {
  check_pair(x, mask, "masked_fill");
  EMBER_CHECK(mask.dtype() == kBool, "masked_fill", "mask must be bool, got ", mask.dtype());
  Shape shape = ops::broadcast_shapes(x.shape(), mask.shape(), "masked_fill");
  DType compute = ops::kernel_dtype(x.dtype(), x.device(), Primitive::Where);
  Tensor out = make_tensor(shape, compute, x.device(), "masked_fill");
  ops::backend_of(x).where(ops::expand_view(mask, shape),
                           ops::expand_view(scalar_tensor(value, compute, x.device()), shape),
                           ops::expand_view(ops::cast(x, compute, "masked_fill"), shape), out);
  out = ops::cast(out, x.dtype(), "masked_fill");
  if (autograd::needs_grad(x)) {
    autograd::record("masked_fill", {x, mask}, out,
                     [x = InputMeta(x), m = mask.detach()](const Tensor& g) {
                       return Grads{fit_to(where(m, 0, g), x), Tensor()};
                     });
  }
  return out;
}

// ---- comparing whole tensors ----

bool allclose(const Tensor& a, const Tensor& b, double rtol, double atol, bool equal_nan) {
  check_pair(a, b, "allclose");
  ops::broadcast_shapes(a.shape(), b.shape(), "allclose");
  NoGradGuard no_grad;
  DType dtype = floating_or_float32(ops::result_type(a, b));
  Tensor x = a.to(dtype), y = b.to(dtype);
  // As torch.isclose: equal values (infinities included) are close; otherwise the
  // difference must be finite and within tolerance.
  Tensor error = abs(x - y);
  Tensor finite = logical_not(logical_or(isnan(error), isinf(error)));
  Tensor close = logical_or(eq(x, y), logical_and(finite, le(error, abs(y) * rtol + atol)));
  if (equal_nan) close = logical_or(close, logical_and(isnan(x), isnan(y)));
  return all(close).item<bool>();
}

bool equal(const Tensor& a, const Tensor& b) {
  check_pair(a, b, "equal");
  if (a.shape() != b.shape()) return false;
  NoGradGuard no_grad;
  return all(eq(a, b)).item<bool>();
}

}  // namespace ember
