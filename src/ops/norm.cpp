// Fused layer normalisation: the layer_norm primitive forward, layer_norm_backward for
// the input's gradient, and plain sums for the weight's and bias's.
#include "autograd/autocast.h"
#include "autograd/graph.h"
#include "ember/nn/functional.h"
#include "ops/composites.h"
#include "ops/op_utils.h"

namespace ember::nn::functional {

namespace {

constexpr const char* kOp = "layer_norm";

void check_arguments(const Tensor& x, const Shape& normalized, const Tensor& weight,
                     const Tensor& bias) {
  ops::check_defined(x, kOp);
  auto k = static_cast<int64_t>(normalized.size());
  EMBER_CHECK(k > 0 && x.dim() >= k && Shape(x.shape().end() - k, x.shape().end()) == normalized,
              kOp, "input of shape ", x.shape(), " does not end in ", normalized);
  EMBER_CHECK(is_floating_point(x.dtype()), kOp, "expects a floating-point input, got ", x.dtype());
  for (const Tensor& param : {weight, bias}) {
    if (!param.defined()) continue;
    ops::check_same_device(x, param, kOp);
    EMBER_CHECK(param.shape() == normalized, kOp, "weight and bias must have shape ", normalized,
                ", got ", param.shape());
  }
}

// A [cols] view of weight or bias in dtype, or undefined.
Tensor flat(const Tensor& param, DType dtype) {
  return param.defined() ? ops::cast(param, dtype, "layer_norm").contiguous().reshape({-1})
                         : Tensor();
}

// What the derivative needs: the [rows, cols] input, the flat weight and the statistics.
struct Saved {
  Tensor x, weight, mean, rstd;
  Shape shape, normalized_shape;
  DType x_dtype, param_dtype;
  bool has_weight, has_bias;
};

autograd::Grads gradients(const Saved& s, const Tensor& g) {
  Tensor g2 = ops::cast(g, s.x.dtype(), "backward").contiguous().reshape(s.x.shape());
  Tensor grad_x = make_tensor(s.x.shape(), s.x.dtype(), s.x.device(), "backward");
  ops::backend_of(s.x).layer_norm_backward(g2, s.x, s.weight, s.mean, s.rstd, grad_x);
  Tensor grad_w, grad_b;
  if (s.has_weight) {
    Tensor xhat = (s.x - s.mean.unsqueeze(1)) * s.rstd.unsqueeze(1);
    grad_w = (g2 * xhat).sum({0}).reshape(s.normalized_shape).to(s.param_dtype);
  }
  if (s.has_bias) grad_b = g2.sum({0}).reshape(s.normalized_shape).to(s.param_dtype);
  return {grad_x.reshape(s.shape).to(s.x_dtype), grad_w, grad_b};
}

}  // namespace

Tensor layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight,
                  const Tensor& bias, double eps) {
  if (autocast::needs_float32(x, weight, bias))
    return layer_norm(autocast::to_float32(x), normalized_shape, autocast::to_float32(weight),
                      autocast::to_float32(bias), eps);
  check_arguments(x, normalized_shape, weight, bias);
  DType dtype = x.dtype();
  int64_t cols = 1;
  for (int64_t s : normalized_shape) cols *= s;
  int64_t rows = cols == 0 ? 0 : x.numel() / cols;
  if (ops::kernel_dtype(dtype, x.device(), Primitive::LayerNorm) != dtype) {
    Tensor rows_view = x.reshape({rows, cols});
    Tensor w = weight.defined() ? weight.reshape({-1}) : weight;
    Tensor b = bias.defined() ? bias.reshape({-1}) : bias;
    return composite::layer_norm(rows_view, w, b, eps).out.reshape(x.shape());
  }
  Tensor x2 = x.contiguous().reshape({rows, cols});
  Tensor w = flat(weight, dtype), b = flat(bias, dtype);
  Tensor out = make_tensor({rows, cols}, dtype, x.device(), "layer_norm");
  // The statistics of 16-bit data stay in float32 (backend.h).
  DType statistics = ops::compute_dtype(dtype);
  Tensor mean = make_tensor({rows}, statistics, x.device(), "layer_norm");
  Tensor rstd = make_tensor({rows}, statistics, x.device(), "layer_norm");
  if (rows > 0 && cols > 0) ops::backend_of(x).layer_norm(x2, w, b, eps, out, mean, rstd);
  Tensor result = ops::cast(out.reshape(x.shape()), x.dtype(), "layer_norm");
  if (autograd::needs_grad(x, weight, bias)) {
    Saved saved{x2,
                w,
                mean,
                rstd,
                x.shape(),
                normalized_shape,
                x.dtype(),
                weight.defined() ? weight.dtype()
                : bias.defined() ? bias.dtype()
                                 : x.dtype(),
                weight.defined(),
                bias.defined()};
    autograd::record(kOp, {x, weight, bias}, result,
                     [saved](const Tensor& g) { return gradients(saved, g); });
  }
  return result;
}

}  // namespace ember::nn::functional
