// Fused layer normalisation: statistics and output in two passes over each row.
#include <cmath>

#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/loops.h"

namespace ember::cpu {

namespace {

// Rows per task: a row is a few hundred to a few thousand elements.
constexpr int64_t kRowGrain = 16;

template <typename T>
void layer_norm_rows(const T* x, const T* weight, const T* bias, double eps, T* out, T* mean,
                     T* rstd, int64_t rows, int64_t cols) {
  parallel_for(0, rows, kRowGrain, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const T* row = x + r * cols;
      double sum = 0;
      for (int64_t c = 0; c < cols; ++c) sum += row[c];
      double m = sum / static_cast<double>(cols), squares = 0;
      for (int64_t c = 0; c < cols; ++c) squares += (row[c] - m) * (row[c] - m);
      double inv = 1 / std::sqrt(squares / static_cast<double>(cols) + eps);
      mean[r] = static_cast<T>(m);
      rstd[r] = static_cast<T>(inv);
      T* o = out + r * cols;
      for (int64_t c = 0; c < cols; ++c) {
        T normalised = static_cast<T>((row[c] - m) * inv);
        o[c] = weight ? normalised * weight[c] + (bias ? bias[c] : T(0))
                      : normalised + (bias ? bias[c] : T(0));
      }
    }
  });
}

template <typename T>
void layer_norm_backward_rows(const T* g, const T* x, const T* weight, const T* mean, const T* rstd,
                              T* grad_x, int64_t rows, int64_t cols) {
  parallel_for(0, rows, kRowGrain, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const T *gr = g + r * cols, *xr = x + r * cols;
      double m = mean[r], inv = rstd[r], sum_g = 0, sum_g_xhat = 0;
      for (int64_t c = 0; c < cols; ++c) {
        double gw = weight ? gr[c] * weight[c] : gr[c];
        sum_g += gw;
        sum_g_xhat += gw * (xr[c] - m) * inv;
      }
      double mean_g = sum_g / static_cast<double>(cols);
      double mean_g_xhat = sum_g_xhat / static_cast<double>(cols);
      for (int64_t c = 0; c < cols; ++c) {
        double gw = weight ? gr[c] * weight[c] : gr[c];
        double xhat = (xr[c] - m) * inv;
        grad_x[r * cols + c] = static_cast<T>(inv * (gw - mean_g - xhat * mean_g_xhat));
      }
    }
  });
}

template <typename T>
const T* optional_data(const Tensor& t) {
  return t.defined() ? data_of<const T>(t) : nullptr;
}

}  // namespace

void CpuBackend::layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps,
                            const Tensor& out, const Tensor& mean, const Tensor& rstd) {
  EMBER_DISPATCH_FLOATING(x.dtype(), "layer_norm", [&] {
    layer_norm_rows(data_of<const T>(x), optional_data<T>(weight), optional_data<T>(bias), eps,
                    data_of<T>(out), data_of<T>(mean), data_of<T>(rstd), x.size(0), x.size(1));
  });
}

void CpuBackend::layer_norm_backward(const Tensor& grad_out, const Tensor& x, const Tensor& weight,
                                     const Tensor& mean, const Tensor& rstd, const Tensor& grad_x) {
  EMBER_DISPATCH_FLOATING(x.dtype(), "layer_norm", [&] {
    layer_norm_backward_rows(data_of<const T>(grad_out), data_of<const T>(x),
                             optional_data<T>(weight), data_of<const T>(mean),
                             data_of<const T>(rstd), data_of<T>(grad_x), x.size(0), x.size(1));
  });
}

}  // namespace ember::cpu
