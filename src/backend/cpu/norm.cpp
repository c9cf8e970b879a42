// Fused layer normalisation: statistics and output in two passes over each row.
// float16 and bfloat16 rows are computed as float32 ones are, with mean and rstd kept
// in float32, as PyTorch's CPU kernel keeps them in its accumulate type.
#include <cmath>

#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/half.h"
#include "backend/cpu/loops.h"

namespace ember::cpu {

namespace {

// Rows per task: a row is a few hundred to a few thousand elements.
constexpr int64_t kRowGrain = 16;

// Rows of T (any floating dtype) computed in C; mean and rstd are C.
template <typename T, typename C = compute_t<T>>
void layer_norm_rows(const T* x, const T* weight, const T* bias, double eps, T* out, C* mean,
                     C* rstd, int64_t rows, int64_t cols) {
  parallel_for(0, rows, kRowGrain, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const T* row = x + r * cols;
      double sum = 0;
      for (int64_t c = 0; c < cols; ++c) sum += load(row[c]);
      double m = sum / static_cast<double>(cols), squares = 0;
      for (int64_t c = 0; c < cols; ++c) squares += (load(row[c]) - m) * (load(row[c]) - m);
      double inv = 1 / std::sqrt(squares / static_cast<double>(cols) + eps);
      mean[r] = static_cast<C>(m);
      rstd[r] = static_cast<C>(inv);
      T* o = out + r * cols;
      for (int64_t c = 0; c < cols; ++c) {
        C normalised = static_cast<C>((load(row[c]) - m) * inv);
        C shift = bias ? load(bias[c]) : C(0);
        o[c] = store<T>(weight ? normalised * load(weight[c]) + shift : normalised + shift);
      }
    }
  });
}

template <typename T, typename C = compute_t<T>>
void layer_norm_backward_rows(const T* g, const T* x, const T* weight, const C* mean, const C* rstd,
                              T* grad_x, int64_t rows, int64_t cols) {
  parallel_for(0, rows, kRowGrain, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const T *gr = g + r * cols, *xr = x + r * cols;
      double m = mean[r], inv = rstd[r], sum_g = 0, sum_g_xhat = 0;
      auto weighted = [&](int64_t c) -> double {
        return weight ? load(gr[c]) * load(weight[c]) : load(gr[c]);
      };
      for (int64_t c = 0; c < cols; ++c) {
        double gw = weighted(c);
        sum_g += gw;
        sum_g_xhat += gw * (load(xr[c]) - m) * inv;
      }
      double mean_g = sum_g / static_cast<double>(cols);
      double mean_g_xhat = sum_g_xhat / static_cast<double>(cols);
      for (int64_t c = 0; c < cols; ++c) {
        double xhat = (load(xr[c]) - m) * inv;
        grad_x[r * cols + c] = store<T>(inv * (weighted(c) - mean_g - xhat * mean_g_xhat));
      }
    }
  });
}

template <typename T>
const T* optional_data(const Tensor& t) {
  return t.defined() ? data_of<const T>(t) : nullptr;
}

// mean and rstd are float32 for 16-bit x, else x's dtype.
void check_statistics(const Tensor& x, const Tensor& mean, const Tensor& rstd) {
  DType wanted = x.dtype() == kFloat16 || x.dtype() == kBFloat16 ? kFloat32 : x.dtype();
  EMBER_CHECK(mean.dtype() == wanted && rstd.dtype() == wanted, "layer_norm", "expects mean and ",
              "rstd of dtype ", wanted, " for ", x.dtype(), " input, got ", mean.dtype(), " and ",
              rstd.dtype());
}

}  // namespace

void CpuBackend::layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps,
                            const Tensor& out, const Tensor& mean, const Tensor& rstd) {
  check_statistics(x, mean, rstd);
  EMBER_DISPATCH_FLOATING_AND_16BIT(x.dtype(), "layer_norm", [&] {
    using C = compute_t<T>;
    layer_norm_rows(data_of<const T>(x), optional_data<T>(weight), optional_data<T>(bias), eps,
                    data_of<T>(out), data_of<C>(mean), data_of<C>(rstd), x.size(0), x.size(1));
  });
}

void CpuBackend::layer_norm_backward(const Tensor& grad_out, const Tensor& x, const Tensor& weight,
                                     const Tensor& mean, const Tensor& rstd, const Tensor& grad_x) {
  check_statistics(x, mean, rstd);
  EMBER_DISPATCH_FLOATING_AND_16BIT(x.dtype(), "layer_norm", [&] {
    using C = compute_t<T>;
    layer_norm_backward_rows(data_of<const T>(grad_out), data_of<const T>(x),
                             optional_data<T>(weight), data_of<const C>(mean),
                             data_of<const C>(rstd), data_of<T>(grad_x), x.size(0), x.size(1));
  });
}

}  // namespace ember::cpu
