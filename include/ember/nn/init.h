// Parameter initialisation in place, without autograd, from Ember's generator.
#pragma once

#include "ember/tensor.h"

namespace ember::nn::init {

void uniform_(Tensor& tensor, double low, double high);
void normal_(Tensor& tensor, double mean = 0.0, double std = 1.0);
void zeros_(Tensor& tensor);
void ones_(Tensor& tensor);
// PyTorch's default for Linear weights (a = sqrt(5)): uniform in +-1/sqrt(fan_in).
void kaiming_uniform_(Tensor& tensor, double a = 0.0);

}  // namespace ember::nn::init
