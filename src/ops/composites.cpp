#include "ops/composites.h"

#include <cmath>

#include "ember/autograd.h"
#include "ember/ops.h"

namespace ember::composite {

namespace {

// x in the dtype its arithmetic runs in: float32 for 16-bit data, as in the fused kernels.
Tensor in_compute_dtype(const Tensor& x) {
  return x.dtype() == kFloat16 || x.dtype() == kBFloat16 ? x.to(kFloat32) : x;
}

}  // namespace

Tensor softmax(const Tensor& x, int64_t dim, bool log) {
  Tensor xf = in_compute_dtype(x);
  // The shift changes no result, so its gradient is left out.
  Tensor shifted = xf - amax(xf, {dim}, true).detach();
  Tensor exps = exp(shifted);
  Tensor total = sum(exps, {dim}, true);
  Tensor out = log ? shifted - ember::log(total) : exps / total;
  return out.to(x.dtype());
}

LayerNormResult layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps) {
  Tensor xf = in_compute_dtype(x);
  Tensor mean = xf.mean({1}, true);
  Tensor centered = xf - mean;
  Tensor rstd = rsqrt((centered * centered).mean({1}, true) + eps);
  Tensor out = centered * rstd;
  if (weight.defined()) out = out * in_compute_dtype(weight);
  if (bias.defined()) out = out + in_compute_dtype(bias);
  return {out.to(x.dtype()), mean.reshape({-1}), rstd.reshape({-1})};
}

Tensor cross_entropy(const Tensor& logits, const Tensor& target, int64_t ignore_index,
                     double label_smoothing) {
  Tensor xf = in_compute_dtype(logits);
  Tensor counted = target != ignore_index;
  Tensor safe = where(counted, target, 0);
  Tensor lse = logsumexp(xf, {1});
  Tensor losses = lse - gather(xf, 1, safe.unsqueeze(1)).squeeze(1);
  if (label_smoothing > 0) {
    losses = losses * (1 - label_smoothing) + (lse - xf.mean({1})) * label_smoothing;
  }
  return where(counted, losses, 0.0).to(logits.dtype());
}

void adam_step(std::span<const AdamTensors> group, const AdamStep& s) {
  NoGradGuard no_grad;
  const double step_size = s.lr / (1 - std::pow(s.beta1, static_cast<double>(s.step)));
  const double sqrt_c2 = std::sqrt(1 - std::pow(s.beta2, static_cast<double>(s.step)));
  for (const AdamTensors& t : group) {
    // Float32 tensors are updated in place; 16-bit ones through float32 copies.
    Tensor p = in_compute_dtype(t.param), m = in_compute_dtype(t.exp_avg);
    Tensor v = in_compute_dtype(t.exp_avg_sq), g = in_compute_dtype(t.grad);
    if (s.decoupled_weight_decay) {
      p.mul_(1 - s.lr * s.weight_decay);
    } else if (s.weight_decay != 0) {
      g = g + p * s.weight_decay;
    }
    m.mul_(s.beta1).add_(g, 1 - s.beta1);
    v.mul_(s.beta2).add_(g * g, 1 - s.beta2);
    p.sub_(m / (sqrt(v) / sqrt_c2 + s.eps), step_size);
    for (auto [updated, kept] : {std::pair{p, t.param}, {m, t.exp_avg}, {v, t.exp_avg_sq}}) {
      if (updated.dtype() != kept.dtype()) Tensor(kept).copy_(updated);
    }
  }
}

}  // namespace ember::composite
