// Reductions, cumulative sums and softmax: dims, dtypes and derivatives. The kernels
// are the reduce, cumsum and softmax primitives; var, std and logsumexp are composites.
#include <algorithm>
#include <limits>

#include "autograd/autocast.h"
#include "autograd/graph.h"
#include "ops/composites.h"
#include "ops/op_utils.h"

namespace ember {

using autograd::Grads;

namespace {

Shape keep_shape(const Shape& shape, const std::vector<int64_t>& dims) {
  Shape keep = shape;
  for (int64_t d : dims) keep[d] = 1;
  return keep;
}

int64_t reduced_count(const Tensor& x, const std::vector<int64_t>& dims) {
  int64_t count = 1;
  for (int64_t d : dims) count *= x.size(d);
  return count;
}

// A keepdim-shaped result without its reduced dims: a view, no copy.
Tensor drop_dims(const Tensor& out, const std::vector<int64_t>& dims) {
  Shape shape;
  for (int64_t d = 0, next = 0; d < out.dim(); ++d) {
    bool reduced = next < static_cast<int64_t>(dims.size()) && dims[next] == d;
    if (reduced) ++next;
    if (!reduced) shape.push_back(out.size(d));
  }
  Shape strides = contiguous_strides(shape);
  return make_view(out, std::move(shape), std::move(strides), out.storage_offset());
}

// Runs the reduce primitive on x (already in a dtype the kernels take); out_dtype is
// what the primitive writes.
Tensor reduce_primitive(ReduceOp op, const Tensor& x, const std::vector<int64_t>& dims,
                        bool keepdim, DType out_dtype, const char* name) {
  Tensor out = make_tensor(keep_shape(x.shape(), dims), out_dtype, x.device(), name);
  Backend& backend = ops::backend_of(x);
  if (dims.empty()) {  // a 0-dim tensor: nothing to combine
    if (op == ReduceOp::ArgMax || op == ReduceOp::ArgMin) {
      backend.fill(out, 0);
    } else {
      backend.copy(x, out);
    }
  } else {
    backend.reduce(op, x, dims, out);
  }
  return keepdim ? out : drop_dims(out, dims);
}

// A reduction that writes values of dtype: computed in its compute dtype, cast back.
Tensor reduce_values(ReduceOp op, const Tensor& x, const std::vector<int64_t>& dims, bool keepdim,
                     DType dtype, const char* name) {
  DType compute = ops::kernel_dtype(dtype, x.device(), Primitive::Reduce);
  Tensor out = reduce_primitive(op, ops::cast(x, compute, name), dims, keepdim, compute, name);
  return ops::cast(out, dtype, name);
}

void check_not_empty(const Tensor& x, const std::vector<int64_t>& dims, const char* op) {
  for (int64_t d : dims) {
    EMBER_CHECK(x.size(d) > 0, op, "cannot reduce over dimension ", d, " of size 0 (shape ",
                x.shape(), "): the result of an empty reduction is undefined");
  }
}

void check_floating(const Tensor& x, const char* op) {
  EMBER_CHECK(x.is_floating_point(), op, "expects a floating-point tensor, got ", x.dtype());
}

// The output's gradient spread back over the reduced dims.
Tensor expand_grad(const Tensor& g, const Shape& keep, const Shape& shape) {
  return g.reshape(keep).expand(shape);
}

// d prod / d x_i is the product of the other elements: out / x_i where x_i is not zero;
// at a zero, the product of the non-zeros when it is the only zero, else 0.
Tensor prod_grad(const Tensor& g, const Tensor& x, const Tensor& out,
                 const std::vector<int64_t>& dims) {
  Tensor is_zero = x == 0;
  Tensor nonzero_prod = prod(where(is_zero, 1, x), dims, true);
  Tensor zero_count = sum(is_zero, dims, true);
  Tensor at_zero = where(zero_count == 1, nonzero_prod, 0).expand(x.shape());
  return where(is_zero, at_zero, out.expand(x.shape()) / x) * g.expand(x.shape());
}

Tensor extreme(ReduceOp op, const char* name, const Tensor& x, const Dims& dims, bool keepdim) {
  ops::check_defined(x, name);
  std::vector<int64_t> d = ops::normalize_dims(dims, x.dim(), name);
  check_not_empty(x, d, name);
  Tensor out = reduce_values(op, x, d, keepdim, x.dtype(), name);
  if (autograd::needs_grad(x)) {
    Shape keep = keep_shape(x.shape(), d);
    // Ties share the gradient evenly, as PyTorch's amax and amin.
    autograd::record(name, {x}, out,
                     [x = x.detach(), y = out.detach().reshape(keep), d, keep](const Tensor& g) {
                       Tensor mask = (x == y).to(x.dtype());
                       return Grads{mask * (g.reshape(keep) / sum(mask, d, true))};
                     });
  }
  return out;
}

Tensor arg_extreme(ReduceOp op, const char* name, const Tensor& x, std::optional<int64_t> dim,
                   bool keepdim) {
  ops::check_defined(x, name);
  Tensor input =
      ops::cast(x.detach(), ops::kernel_dtype(x.dtype(), x.device(), Primitive::Reduce), name);
  if (!dim) {
    EMBER_CHECK(x.numel() > 0, name, "cannot take the ", name, " of an empty tensor");
    Tensor out = reduce_primitive(op, input.reshape({x.numel()}), {0}, false, kInt64, name);
    return keepdim ? out.reshape(Shape(static_cast<size_t>(x.dim()), 1)) : out;
  }
  int64_t d = ops::normalize_dim(*dim, x.dim(), name);
  std::vector<int64_t> dims;
  if (x.dim() > 0) dims.push_back(d);
  check_not_empty(x, dims, name);
  return reduce_primitive(op, input, dims, keepdim, kInt64, name);
}

Tensor logical_reduce(ReduceOp op, const char* name, const Tensor& x, const Dims& dims,
                      bool keepdim) {
  ops::check_defined(x, name);
  std::vector<int64_t> d = ops::normalize_dims(dims, x.dim(), name);
  return reduce_primitive(op, ops::cast(x, kBool, name), d, keepdim, kBool, name);
}

Tensor variance(const Tensor& x, const Dims& dims, int64_t correction, bool keepdim,
                const char* name) {
  ops::check_defined(x, name);
  check_floating(x, name);
  std::vector<int64_t> d = ops::normalize_dims(dims, x.dim(), name);
  Tensor xc = x.to(ops::compute_dtype(x.dtype()));
  Tensor centered = xc - mean(xc, d, true);
  double divisor = static_cast<double>(std::max<int64_t>(0, reduced_count(x, d) - correction));
  return sum(centered * centered, d, keepdim) / divisor;
}

// A view of t with dim reversed (a negative stride): no copy.
Tensor flip_view(const Tensor& t, int64_t dim) {
  Shape strides = t.strides();
  int64_t offset = t.storage_offset() + (t.size(dim) - 1) * strides[dim];
  strides[dim] = -strides[dim];
  return make_view(t, t.shape(), std::move(strides), offset);
}

Tensor softmax_impl(const Tensor& x, int64_t dim, bool log) {
  if (autocast::needs_float32(x)) return softmax_impl(autocast::to_float32(x), dim, log);
  const char* name = log ? "log_softmax" : "softmax";
  ops::check_defined(x, name);
  check_floating(x, name);
  int64_t d = ops::normalize_dim(dim, x.dim(), name);
  bool declined = ops::kernel_dtype(x.dtype(), x.device(), Primitive::Softmax) != x.dtype();
  if (declined && x.dim() > 0) return composite::softmax(x, d, log);
  Tensor out = make_tensor(x.shape(), x.dtype(), x.device(), name);
  if (x.dim() == 0) {
    ops::backend_of(x).fill(out, log ? 0 : 1);
  } else {
    ops::backend_of(x).softmax(x, d, log, out);
  }
  if (autograd::needs_grad(x)) {
    autograd::record(name, {x}, out, [y = out.detach(), d, log](const Tensor& g) {
      if (log) return Grads{g - exp(y) * sum(g, d, true)};
      return Grads{y * (g - sum(g * y, d, true))};
    });
  }
  return out;
}

}  // namespace

Tensor sum(const Tensor& x, const Dims& dims, bool keepdim) {
  if (autocast::needs_float32(x)) return sum(autocast::to_float32(x), dims, keepdim);
  ops::check_defined(x, "sum");
  std::vector<int64_t> d = ops::normalize_dims(dims, x.dim(), "sum");
  Tensor out = reduce_values(ReduceOp::Sum, x, d, keepdim,
                             x.is_floating_point() ? x.dtype() : kInt64, "sum");
  if (autograd::needs_grad(x)) {
    autograd::record("sum", {x}, out,
                     [keep = keep_shape(x.shape(), d), shape = x.shape()](const Tensor& g) {
                       return Grads{expand_grad(g, keep, shape)};
                     });
  }
  return out;
}

Tensor mean(const Tensor& x, const Dims& dims, bool keepdim) {
  if (autocast::needs_float32(x)) return mean(autocast::to_float32(x), dims, keepdim);
  ops::check_defined(x, "mean");
  EMBER_CHECK(x.is_floating_point(), "mean", "expects a floating-point tensor, got ", x.dtype(),
              "; convert it first, e.g. x.to(kFloat32)");
  std::vector<int64_t> d = ops::normalize_dims(dims, x.dim(), "mean");
  Tensor out = reduce_values(ReduceOp::Mean, x, d, keepdim, x.dtype(), "mean");
  if (autograd::needs_grad(x)) {
    autograd::record("mean", {x}, out,
                     [keep = keep_shape(x.shape(), d), shape = x.shape(),
                      count = static_cast<double>(reduced_count(x, d))](const Tensor& g) {
                       return Grads{expand_grad(g, keep, shape) / count};
                     });
  }
  return out;
}

Tensor prod(const Tensor& x, const Dims& dims, bool keepdim) {
  if (autocast::needs_float32(x)) return prod(autocast::to_float32(x), dims, keepdim);
  ops::check_defined(x, "prod");
  std::vector<int64_t> d = ops::normalize_dims(dims, x.dim(), "prod");
  Tensor out = reduce_values(ReduceOp::Prod, x, d, keepdim,
                             x.is_floating_point() ? x.dtype() : kInt64, "prod");
  if (autograd::needs_grad(x)) {
    Shape keep = keep_shape(x.shape(), d);
    autograd::record("prod", {x}, out,
                     [x = x.detach(), y = out.detach().reshape(keep), d, keep](const Tensor& g) {
                       return Grads{prod_grad(g.reshape(keep), x, y, d)};
                     });
  }
  return out;
}

Tensor amax(const Tensor& x, const Dims& dims, bool keepdim) {
  return extreme(ReduceOp::Max, "amax", x, dims, keepdim);
}
Tensor amin(const Tensor& x, const Dims& dims, bool keepdim) {
  return extreme(ReduceOp::Min, "amin", x, dims, keepdim);
}
Tensor max(const Tensor& x) { return extreme(ReduceOp::Max, "max", x, {}, false); }
Tensor min(const Tensor& x) { return extreme(ReduceOp::Min, "min", x, {}, false); }

Tensor argmax(const Tensor& x, std::optional<int64_t> dim, bool keepdim) {
  return arg_extreme(ReduceOp::ArgMax, "argmax", x, dim, keepdim);
}
Tensor argmin(const Tensor& x, std::optional<int64_t> dim, bool keepdim) {
  return arg_extreme(ReduceOp::ArgMin, "argmin", x, dim, keepdim);
}

Tensor logsumexp(const Tensor& x, const Dims& dims, bool keepdim) {
  if (autocast::needs_float32(x)) return logsumexp(autocast::to_float32(x), dims, keepdim);
  ops::check_defined(x, "logsumexp");
  std::vector<int64_t> d = ops::normalize_dims(dims, x.dim(), "logsumexp");
  DType dtype = x.is_floating_point() ? x.dtype() : kFloat32;
  Tensor input = ops::cast(x.detach(), ops::compute_dtype(dtype), "logsumexp");
  Shape keep = keep_shape(x.shape(), d);
  Tensor result;  // keepdim-shaped, in the compute dtype
  {
    NoGradGuard no_grad;
    // The largest element is subtracted first so that exp cannot overflow; an infinite
    // maximum is left out so that a row of -inf gives -inf, not NaN.
    Tensor shift = x.numel() == 0 ? zeros(keep, input.dtype(), x.device()) : amax(input, d, true);
    shift = where(isinf(shift), 0, shift);
    result = log(sum(exp(input - shift), d, true)) + shift;
  }
  Tensor out = ops::cast(keepdim ? result : drop_dims(result, d), dtype, "logsumexp");
  if (autograd::needs_grad(x)) {
    autograd::record("logsumexp", {x}, out, [x = x.detach(), y = result, keep](const Tensor& g) {
      return Grads{(g.reshape(keep) * exp(x - y)).to(x.dtype())};
    });
  }
  return out;
}

Tensor var(const Tensor& x, const Dims& dims, int64_t correction, bool keepdim) {
  if (autocast::needs_float32(x)) return var(autocast::to_float32(x), dims, correction, keepdim);
  Tensor out = variance(x, dims, correction, keepdim, "var");
  return out.to(x.dtype());
}

Tensor std(const Tensor& x, const Dims& dims, int64_t correction, bool keepdim) {
  if (autocast::needs_float32(x)) return std(autocast::to_float32(x), dims, correction, keepdim);
  return sqrt(variance(x, dims, correction, keepdim, "std")).to(x.dtype());
}

Tensor all(const Tensor& x, const Dims& dims, bool keepdim) {
  return logical_reduce(ReduceOp::All, "all", x, dims, keepdim);
}
Tensor any(const Tensor& x, const Dims& dims, bool keepdim) {
  return logical_reduce(ReduceOp::Any, "any", x, dims, keepdim);
}

Tensor cumsum(const Tensor& x, int64_t dim) {
  if (autocast::needs_float32(x)) return cumsum(autocast::to_float32(x), dim);
  ops::check_defined(x, "cumsum");
  int64_t d = ops::normalize_dim(dim, x.dim(), "cumsum");
  DType dtype = x.is_floating_point() ? x.dtype() : kInt64;
  Tensor input = ops::cast(x, ops::kernel_dtype(dtype, x.device(), Primitive::Cumsum), "cumsum");
  Tensor out = make_tensor(x.shape(), input.dtype(), x.device(), "cumsum");
  if (x.dim() == 0) {
    ops::backend_of(x).copy(input, out);
  } else {
    ops::backend_of(x).cumsum(input, d, out);
  }
  out = ops::cast(out, dtype, "cumsum");
  if (autograd::needs_grad(x)) {
    // Each input reaches every later output: the gradient is a cumsum from the end.
    autograd::record("cumsum", {x}, out, [d](const Tensor& g) {
      if (g.dim() == 0 || g.numel() == 0) return Grads{g};
      return Grads{flip_view(cumsum(flip_view(g, d), d), d).contiguous()};
    });
  }
  return out;
}

Tensor softmax(const Tensor& x, int64_t dim) { return softmax_impl(x, dim, false); }
Tensor log_softmax(const Tensor& x, int64_t dim) { return softmax_impl(x, dim, true); }

}  // namespace ember
