// Fused optimizer updates: one pass over each parameter instead of a dozen elementwise ops.
// float16 and bfloat16 parameters keep their state in their own dtype, as PyTorch's, and
// are updated in float32 with each stored value rounded once.
#include <cmath>

#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/half.h"
#include "backend/cpu/loops.h"

namespace ember::cpu {

namespace {

// S is the storage type, T the one computed in.
template <typename S, typename T = compute_t<S>>
void adam_kernel(S* param, const S* grad, S* m, S* v, int64_t n, const AdamStep& s) {
  const T beta1 = static_cast<T>(s.beta1), beta2 = static_cast<T>(s.beta2);
  const T wd = static_cast<T>(s.weight_decay);
  const T decay = static_cast<T>(1 - s.lr * s.weight_decay);
  const T step_size = static_cast<T>(s.lr / (1 - std::pow(s.beta1, s.step)));
  const T sqrt_c2 = static_cast<T>(std::sqrt(1 - std::pow(s.beta2, s.step)));
  const T eps = static_cast<T>(s.eps);
  const bool decoupled = s.decoupled_weight_decay;
  parallel_for(0, n, kElementwiseGrain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      T p = load(param[i]), g = load(grad[i]);
      if (decoupled) {
        p *= decay;
      } else {
        g += wd * p;
      }
      T mi = beta1 * load(m[i]) + (1 - beta1) * g;
      T vi = beta2 * load(v[i]) + (1 - beta2) * g * g;
      m[i] = store<S>(mi);
      v[i] = store<S>(vi);
      param[i] = store<S>(p - step_size * mi / (std::sqrt(vi) / sqrt_c2 + eps));
    }
  });
}

}  // namespace

void CpuBackend::adam_step(std::span<const AdamTensors> group, const AdamStep& step) {
  check_adam_dtypes(group);
  for (const AdamTensors& t : group) {
    EMBER_DISPATCH_FLOATING_AND_16BIT(t.param.dtype(), "adam_step", [&] {
      adam_kernel(data_of<T>(t.param), data_of<const T>(t.grad), data_of<T>(t.exp_avg),
                  data_of<T>(t.exp_avg_sq), t.param.numel(), step);
    });
  }
}

}  // namespace ember::cpu
