// Fused cross-entropy: log-softmax and the negative log-likelihood in one pass per row,
// and its gradient straight from the logits. float16 and bfloat16 logits are read as
// float32 values and the losses and gradients rounded once to their dtype.
#include <cmath>

#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/half.h"
#include "backend/cpu/loops.h"

namespace ember::cpu {

namespace {

constexpr int64_t kRowGrain = 16;

template <typename T>
double log_sum_exp(const T* row, int64_t classes) {
  double m = load(row[0]);
  for (int64_t c = 1; c < classes; ++c) m = std::max<double>(m, load(row[c]));
  double sum = 0;
  for (int64_t c = 0; c < classes; ++c) sum += std::exp(load(row[c]) - m);
  return m + std::log(sum);
}

// The target of row n, or -1 when it is ignored; raises for any other bad class.
int64_t class_of(const int64_t* target, int64_t n, int64_t ignore_index, int64_t classes) {
  int64_t t = target[n];
  if (t == ignore_index) return -1;
  EMBER_CHECK(t >= 0 && t < classes, "cross_entropy", "target ", t, " of sample ", n,
              " is out of range [0, ", classes, ")");
  return t;
}

template <typename T>
void cross_entropy_rows(const T* logits, const int64_t* target, int64_t ignore_index,
                        double smoothing, T* losses, int64_t rows, int64_t classes) {
  parallel_for(0, rows, kRowGrain, [&](int64_t begin, int64_t end) {
    for (int64_t n = begin; n < end; ++n) {
      int64_t t = class_of(target, n, ignore_index, classes);
      if (t < 0) {
        losses[n] = store<T>(0.0);
        continue;
      }
      const T* row = logits + n * classes;
      double lse = log_sum_exp(row, classes), mean = 0;
      if (smoothing != 0) {
        for (int64_t c = 0; c < classes; ++c) mean += load(row[c]);
        mean /= static_cast<double>(classes);
      }
      losses[n] = store<T>((1 - smoothing) * (lse - load(row[t])) + smoothing * (lse - mean));
    }
  });
}

template <typename T>
void cross_entropy_backward_rows(const T* logits, const int64_t* target, int64_t ignore_index,
                                 double smoothing, const T* grad_losses, T* grad, int64_t rows,
                                 int64_t classes) {
  parallel_for(0, rows, kRowGrain, [&](int64_t begin, int64_t end) {
    for (int64_t n = begin; n < end; ++n) {
      int64_t t = class_of(target, n, ignore_index, classes);
      T* out = grad + n * classes;
      if (t < 0) {
        for (int64_t c = 0; c < classes; ++c) out[c] = store<T>(0.0);
        continue;
      }
      const T* row = logits + n * classes;
      double lse = log_sum_exp(row, classes), g = load(grad_losses[n]);
      double uniform = smoothing / static_cast<double>(classes);
      for (int64_t c = 0; c < classes; ++c) {
        double wanted = (c == t ? 1 - smoothing : 0) + uniform;
        out[c] = store<T>(g * (std::exp(load(row[c]) - lse) - wanted));
      }
    }
  });
}

}  // namespace

void CpuBackend::cross_entropy(const Tensor& logits, const Tensor& target, int64_t ignore_index,
                               double label_smoothing, const Tensor& losses) {
  EMBER_DISPATCH_FLOATING_AND_16BIT(logits.dtype(), "cross_entropy", [&] {
    cross_entropy_rows(data_of<const T>(logits), data_of<const int64_t>(target), ignore_index,
                       label_smoothing, data_of<T>(losses), logits.size(0), logits.size(1));
  });
}

void CpuBackend::cross_entropy_backward(const Tensor& logits, const Tensor& target,
                                        int64_t ignore_index, double label_smoothing,
                                        const Tensor& grad_losses, const Tensor& grad_logits) {
  EMBER_DISPATCH_FLOATING_AND_16BIT(logits.dtype(), "cross_entropy", [&] {
    cross_entropy_backward_rows(data_of<const T>(logits), data_of<const int64_t>(target),
                                ignore_index, label_smoothing, data_of<const T>(grad_losses),
                                data_of<T>(grad_logits), logits.size(0), logits.size(1));
  });
}

}  // namespace ember::cpu
