// The fused primitives written with basic ops. A backend that declines a fused primitive
// for some inputs (Backend::supports) gets its composite instead, run by the front end on
// the same device with autograd; the tests hold each fused kernel against its composite.
// 16-bit inputs are computed in float32, as the fused kernels compute them.
#pragma once

#include <span>

#include "core/backend.h"

namespace ember::composite {

// softmax or log_softmax of x along dim, shifted by the row's maximum so exp cannot
// overflow; the result has x's dtype.
Tensor softmax(const Tensor& x, int64_t dim, bool log);

// The layer norm primitive's outputs for x [rows, cols]: out = (x - mean) * rstd * weight
// + bias with rstd = 1 / sqrt(biased variance + eps); weight and bias may be undefined.
struct LayerNormResult {
  Tensor out, mean, rstd;
};
LayerNormResult layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps);

// The cross_entropy primitive's per-sample losses for logits [N, C] and int64 targets [N]:
// 0 where the target is ignore_index; a target outside [0, C) raises ember::Error.
Tensor cross_entropy(const Tensor& logits, const Tensor& target, int64_t ignore_index,
                     double label_smoothing);

// The adam_step primitive with in-place ops: the same update, in the parameter's dtype.
void adam_step(std::span<const AdamTensors> group, const AdamStep& step);

}  // namespace ember::composite
