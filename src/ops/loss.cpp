// Fused cross-entropy: the cross_entropy primitive per sample, the reduction on top, and
// a derivative that is the cross_entropy_backward primitive.
#include "autograd/autocast.h"
#include "autograd/graph.h"
#include "core/user_op.h"
#include "ember/nn/functional.h"
#include "ops/composites.h"
#include "ops/op_utils.h"

namespace ember::nn::functional {

namespace {

constexpr const char* kOp = "cross_entropy";

void check_arguments(const Tensor& logits, const Tensor& target, double smoothing) {
  ops::check_defined(logits, kOp);
  ops::check_defined(target, kOp);
  ops::check_same_device(logits, target, kOp);
  EMBER_CHECK(logits.dim() == 2, kOp, "expects input of shape [N, C], got ", logits.shape());
  EMBER_CHECK(is_floating_point(logits.dtype()), kOp, "expects floating-point logits, got ",
              logits.dtype());
  EMBER_CHECK(target.dtype() == kInt64 || target.dtype() == kInt32, kOp,
              "expects integer class indices, got ", target.dtype());
  EMBER_CHECK(target.dim() == 1 && target.size(0) == logits.size(0), kOp, "target of shape ",
              target.shape(), " does not match input of shape ", logits.shape());
  EMBER_CHECK(smoothing >= 0 && smoothing <= 1, kOp, "label_smoothing must be in [0, 1], got ",
              smoothing);
}

// Per-sample losses, with their derivative recorded against logits.
Tensor sample_losses(const Tensor& logits, const Tensor& target, int64_t ignore_index,
                     double smoothing) {
  Tensor t = ops::cast(target, kInt64, kOp).contiguous();
  DType dtype = logits.dtype();
  if (ops::kernel_dtype(dtype, logits.device(), Primitive::CrossEntropy) != dtype) {
    UserOp user_op{kOp, {{{"input", &logits.shape()}, {"target", &target.shape()}}}};
    UserOpScope scope(user_op);
    return ops::renamed_errors(
        kOp, [&] { return composite::cross_entropy(logits, t, ignore_index, smoothing); });
  }
  Tensor x = logits.contiguous();
  Tensor losses = make_tensor({x.size(0)}, dtype, x.device(), kOp);
  ops::backend_of(x).cross_entropy(x, t, ignore_index, smoothing, losses);
  if (autograd::needs_grad(logits)) {
    DType logits_dtype = logits.dtype();
    autograd::record(kOp, {logits}, losses,
                     [x = x.detach(), t, ignore_index, smoothing, logits_dtype](const Tensor& g) {
                       Tensor grad = make_tensor(x.shape(), x.dtype(), x.device(), "backward");
                       Tensor g_contiguous = ops::cast(g, x.dtype(), "backward").contiguous();
                       ops::backend_of(x).cross_entropy_backward(x, t, ignore_index, smoothing,
                                                                 g_contiguous, grad);
                       return autograd::Grads{grad.to(logits_dtype)};
                     });
  }
  return losses;
}

}  // namespace

Tensor cross_entropy(const Tensor& logits, const Tensor& target,
                     const CrossEntropyOptions& options) {
  if (autocast::needs_float32(logits))
    return cross_entropy(autocast::to_float32(logits), target, options);
  check_arguments(logits, target, options.label_smoothing);
  Tensor losses = sample_losses(logits, target, options.ignore_index, options.label_smoothing);
  switch (options.reduction) {
    case Reduction::None:
      return losses.to(logits.dtype());
    case Reduction::Sum:
      return losses.sum().to(logits.dtype());
    default: {
      Tensor counted = (target != options.ignore_index).sum().to(losses.dtype());
      return (losses.sum() / counted).to(logits.dtype());
    }
  }
}

}  // namespace ember::nn::functional
