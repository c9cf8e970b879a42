// Fused optimizer updates: one pass over each parameter instead of a dozen elementwise ops.
#include <cmath>

#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/loops.h"

namespace ember::cpu {

namespace {

template <typename T>
void adam_kernel(T* param, const T* grad, T* m, T* v, int64_t n, const AdamStep& s) {
  const T beta1 = static_cast<T>(s.beta1), beta2 = static_cast<T>(s.beta2);
  const T wd = static_cast<T>(s.weight_decay);
  const T decay = static_cast<T>(1 - s.lr * s.weight_decay);
  const T step_size = static_cast<T>(s.lr / (1 - std::pow(s.beta1, s.step)));
  const T sqrt_c2 = static_cast<T>(std::sqrt(1 - std::pow(s.beta2, s.step)));
  const T eps = static_cast<T>(s.eps);
  const bool decoupled = s.decoupled_weight_decay;
  parallel_for(0, n, kElementwiseGrain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      T p = param[i], g = grad[i];
      if (decoupled) {
        p *= decay;
      } else {
        g += wd * p;
      }
      T mi = beta1 * m[i] + (1 - beta1) * g;
      T vi = beta2 * v[i] + (1 - beta2) * g * g;
      m[i] = mi;
      v[i] = vi;
      param[i] = p - step_size * mi / (std::sqrt(vi) / sqrt_c2 + eps);
    }
  });
}

}  // namespace

void CpuBackend::adam_step(std::span<const AdamTensors> group, const AdamStep& step) {
  for (const AdamTensors& t : group) {
    EMBER_DISPATCH_FLOATING(t.param.dtype(), "adam_step", [&] {
      adam_kernel(data_of<T>(t.param), data_of<const T>(t.grad), data_of<T>(t.exp_avg),
                  data_of<T>(t.exp_avg_sq), t.param.numel(), step);
    });
  }
}

}  // namespace ember::cpu
