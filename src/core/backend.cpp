#include "core/backend.h"

#include <limits>

#include "core/check.h"

namespace ember {

const char* unary_op_name(UnaryOp op) {
  static const char* const names[] = {
      "neg",   "abs",  "exp",     "log",  "log1p",      "expm1",       "sqrt",  "rsqrt",    "sin",
      "cos",   "tanh", "sigmoid", "relu", "gelu",       "gelu",        "silu",  "softplus", "erf",
      "floor", "ceil", "round",   "sign", "reciprocal", "logical_not", "isnan", "isinf"};
  return names[static_cast<int>(op)];
}

const char* binary_op_name(BinaryOp op) {
  static const char* const names[] = {
      "add", "sub", "mul", "div", "pow", "maximum", "minimum",     "remainder",
      "eq",  "ne",  "lt",  "le",  "gt",  "ge",      "logical_and", "logical_or"};
  return names[static_cast<int>(op)];
}

const char* reduce_op_name(ReduceOp op) {
  static const char* const names[] = {"sum",    "mean",   "prod", "max", "min",
                                      "argmax", "argmin", "all",  "any"};
  return names[static_cast<int>(op)];
}

bool writes_bool(UnaryOp op) {
  return op == UnaryOp::LogicalNot || op == UnaryOp::IsNan || op == UnaryOp::IsInf;
}

bool writes_bool(BinaryOp op) { return op >= BinaryOp::Eq; }

bool is_arg_reduction(ReduceOp op) { return op == ReduceOp::ArgMax || op == ReduceOp::ArgMin; }

Scalar empty_reduction_result(ReduceOp op) {
  switch (op) {
    case ReduceOp::Prod:
    case ReduceOp::All:
      return 1;
    case ReduceOp::Mean:
      return std::numeric_limits<double>::quiet_NaN();
    default:
      return 0;
  }
}

void check_adam_dtypes(std::span<const AdamTensors> group) {
  for (const AdamTensors& t : group) {
    EMBER_CHECK(t.grad.dtype() == t.param.dtype() && t.exp_avg.dtype() == t.param.dtype() &&
                    t.exp_avg_sq.dtype() == t.param.dtype(),
                "adam_step", "expects grad, exp_avg and exp_avg_sq of the parameter's dtype ",
                t.param.dtype(), ", got ", t.grad.dtype(), ", ", t.exp_avg.dtype(), " and ",
                t.exp_avg_sq.dtype());
  }
}

}  // namespace ember
