// Parameter initialisation in place, without autograd, from Ember's generator. Each
// returns the tensor it filled (a handle to the same data).
#pragma once

#include "ember/tensor.h"

namespace ember::nn::init {

Tensor uniform_(const Tensor& tensor, double low, double high);
Tensor normal_(const Tensor& tensor, double mean = 0.0, double std = 1.0);
Tensor zeros_(const Tensor& tensor);
Tensor ones_(const Tensor& tensor);
// PyTorch's default for Linear weights (a = sqrt(5)): uniform in +-1/sqrt(fan_in).
Tensor kaiming_uniform_(const Tensor& tensor, double a = 0.0);

}  // namespace ember::nn::init
