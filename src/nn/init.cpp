#include "ember/nn/init.h"

#include <cmath>

#include "core/check.h"
#include "ember/autograd.h"
#include "ember/ops.h"
#include "ember/random.h"

namespace ember::nn::init {

Tensor uniform_(const Tensor& tensor, double low, double high) {
  EMBER_CHECK(low <= high, "uniform_", "low ", low, " is above high ", high);
  NoGradGuard no_grad;
  Tensor target = tensor;
  return target.copy_(rand(tensor.shape(), kFloat32, tensor.device()) * (high - low) + low);
}

Tensor normal_(const Tensor& tensor, double mean, double std) {
  EMBER_CHECK(std >= 0, "normal_", "std must be non-negative, got ", std);
  NoGradGuard no_grad;
  Tensor target = tensor;
  return target.copy_(randn(tensor.shape(), kFloat32, tensor.device()) * std + mean);
}

Tensor zeros_(const Tensor& tensor) {
  NoGradGuard no_grad;
  Tensor target = tensor;
  return target.zero_();
}

Tensor ones_(const Tensor& tensor) {
  NoGradGuard no_grad;
  Tensor target = tensor;
  return target.fill_(1);
}

Tensor kaiming_uniform_(const Tensor& tensor, double a) {
  EMBER_CHECK(tensor.dim() >= 2, "kaiming_uniform_", "needs at least 2 dims for fan_in, got ",
              tensor.shape());
  int64_t fan_in = tensor.numel() / tensor.size(0);
  EMBER_CHECK(fan_in > 0, "kaiming_uniform_", "fan_in is zero for shape ", tensor.shape());
  double gain = std::sqrt(2.0 / (1 + a * a));
  double bound = std::sqrt(3.0) * gain / std::sqrt(static_cast<double>(fan_in));
  return uniform_(tensor, -bound, bound);
}

}  // namespace ember::nn::init
