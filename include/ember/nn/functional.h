// Stateless layers and losses, as torch.nn.functional.
#pragma once

#include <string>

#include "ember/tensor.h"

namespace ember::nn::functional {

enum class Reduction { None, Mean, Sum };

// x @ weight^T + bias, with weight [out_features, in_features]; bias may be undefined.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor());

struct CrossEntropyOptions {
  Reduction reduction = Reduction::Mean;
  int64_t ignore_index = -100;  // targets equal to it add nothing and do not count
  double label_smoothing = 0.0;
};
// logits [N, C] and int64 class indices [N]; fused log-softmax and negative log-likelihood.
Tensor cross_entropy(const Tensor& logits, const Tensor& target,
                     const CrossEntropyOptions& options = {});

struct NllLossOptions {
  Reduction reduction = Reduction::Mean;
  int64_t ignore_index = -100;
};
// log_probs [N, C] and int64 class indices [N].
Tensor nll_loss(const Tensor& log_probs, const Tensor& target, const NllLossOptions& options = {});

Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean);
Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean);
// Numerically stable: max(x, 0) - x * t + log(1 + exp(-|x|)).
Tensor binary_cross_entropy_with_logits(const Tensor& logits, const Tensor& target,
                                        Reduction reduction = Reduction::Mean);

// Zeroes elements with probability p and scales the rest by 1 / (1 - p) when training;
// the mask comes from Ember's generator (manual_seed).
Tensor dropout(const Tensor& x, double p = 0.5, bool training = true);

// Normalises over the trailing dims of normalized_shape; weight and bias may be undefined.
// Fused: one pass for the statistics, one for the output, and a fused backward.
Tensor layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight = Tensor(),
                  const Tensor& bias = Tensor(), double eps = 1e-5);

}  // namespace ember::nn::functional
