#include "ember/nn/functional.h"

#include "autograd/autocast.h"
#include "core/check.h"
#include "core/user_op.h"
#include "ember/ops.h"
#include "ember/random.h"
#include "ops/op_utils.h"

namespace ember::nn::functional {

namespace {

Tensor reduce(const Tensor& losses, Reduction reduction) {
  switch (reduction) {
    case Reduction::None:
      return losses;
    case Reduction::Sum:
      return losses.sum();
    default:
      return losses.mean();
  }
}

void check_same_shape(const Tensor& input, const Tensor& target, const char* op) {
  EMBER_CHECK(input.defined() && target.defined(), op, "input and target must be defined");
  EMBER_CHECK(input.shape() == target.shape(), op, "input of shape ", input.shape(),
              " and target of shape ", target.shape(), " differ");
}

// Checks logits-like [N, C] against class indices [N] of an integer dtype.
void check_classification(const Tensor& scores, const Tensor& target, const char* op) {
  EMBER_CHECK(scores.defined() && target.defined(), op, "input and target must be defined");
  EMBER_CHECK(scores.dim() == 2, op, "expects input of shape [N, C], got ", scores.shape());
  EMBER_CHECK(target.dtype() == kInt64 || target.dtype() == kInt32, op,
              "expects integer class indices, got ", target.dtype());
  EMBER_CHECK(target.dim() == 1 && target.size(0) == scores.size(0), op, "target of shape ",
              target.shape(), " does not match input of shape ", scores.shape());
}

// The per-sample negative log-likelihood and the mask of samples that count.
std::pair<Tensor, Tensor> picked_nll(const Tensor& log_probs, const Tensor& target,
                                     int64_t ignore_index, const char* op) {
  Tensor index = target.to(kInt64);
  Tensor counted = index != ignore_index;
  Tensor safe = where(counted, index, 0);
  // gather checks the classes where the data is, so a GPU target costs no host wait; a
  // kernel's late report names this op.
  UserOp user_op{op, {{{"input", &log_probs.shape()}, {"target", &target.shape()}}}};
  UserOpScope scope(user_op);
  Tensor nll =
      ops::renamed_errors(op, [&] { return -gather(log_probs, 1, safe.unsqueeze(1)).squeeze(1); });
  return {where(counted, nll, 0.0), counted};
}

Tensor reduce_counted(const Tensor& losses, const Tensor& counted, Reduction reduction) {
  if (reduction != Reduction::Mean) return reduce(losses, reduction);
  return losses.sum() / counted.sum().to(losses.dtype());
}

}  // namespace

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  if (autocast::needs_lower(x, weight, bias))
    return linear(autocast::lower(x), autocast::lower(weight), autocast::lower(bias));
  EMBER_CHECK(x.defined() && weight.defined(), "linear", "input and weight must be defined");
  EMBER_CHECK(weight.dim() == 2, "linear", "weight must be [out_features, in_features], got ",
              weight.shape());
  EMBER_CHECK(x.dim() >= 1 && x.size(-1) == weight.size(1), "linear", "input of shape ", x.shape(),
              " does not end in in_features ", weight.size(1));
  // Checked here, so that a mismatch names the op the user called, not matmul or add.
  EMBER_CHECK(x.dtype() == weight.dtype() && is_floating_point(x.dtype()), "linear", "input is ",
              x.dtype(), " but weight is ", weight.dtype(), "; both must be one floating dtype");
  EMBER_CHECK(x.device() == weight.device(), "linear", "input is on ", x.device(),
              " but weight on ", weight.device());
  if (bias.defined()) {
    EMBER_CHECK(bias.dtype() == weight.dtype() && bias.device() == weight.device(), "linear",
                "bias is ", bias.dtype(), " on ", bias.device(), " but weight is ", weight.dtype(),
                " on ", weight.device());
    EMBER_CHECK(bias.shape() == Shape{weight.size(0)}, "linear", "bias must be [", weight.size(0),
                "], got ", bias.shape());
  }
  Tensor out = matmul(x, weight.transpose(0, 1));
  return bias.defined() ? out + bias : out;
}

Tensor nll_loss(const Tensor& log_probs, const Tensor& target, const NllLossOptions& options) {
  if (autocast::needs_float32(log_probs))
    return nll_loss(autocast::to_float32(log_probs), target, options);
  check_classification(log_probs, target, "nll_loss");
  auto [losses, counted] = picked_nll(log_probs, target, options.ignore_index, "nll_loss");
  return reduce_counted(losses, counted, options.reduction);
}

Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  if (autocast::needs_float32(input, target))
    return mse_loss(autocast::to_float32(input), autocast::to_float32(target), reduction);
  check_same_shape(input, target, "mse_loss");
  return reduce(square(input - target), reduction);
}

Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  if (autocast::needs_float32(input, target))
    return l1_loss(autocast::to_float32(input), autocast::to_float32(target), reduction);
  check_same_shape(input, target, "l1_loss");
  return reduce(abs(input - target), reduction);
}

Tensor binary_cross_entropy_with_logits(const Tensor& logits, const Tensor& target,
                                        Reduction reduction) {
  if (autocast::needs_float32(logits, target))
    return binary_cross_entropy_with_logits(autocast::to_float32(logits),
                                            autocast::to_float32(target), reduction);
  check_same_shape(logits, target, "binary_cross_entropy_with_logits");
  Tensor losses = clamp_min(logits, 0) - logits * target + log1p(exp(-abs(logits)));
  return reduce(losses, reduction);
}

Tensor dropout(const Tensor& x, double p, bool training) {
  EMBER_CHECK(p >= 0 && p <= 1, "dropout", "probability must be in [0, 1], got ", p);
  if (!training || p == 0) return x;
  if (p == 1) return x * 0.0;
  Tensor keep = bernoulli(x.shape(), 1 - p, x.dtype(), x.device());
  return x * keep * (1 / (1 - p));
}

}  // namespace ember::nn::functional
