// The --precision of `ember train` and `ember bench train`: fp32; bf16, the forward and
// the loss under AutocastGuard in bfloat16; fp16, the same in float16 with a GradScaler.
#pragma once

#include <string>
#include <vector>

#include "ember/ember.h"

namespace ember::cli {

std::vector<std::string> precision_names();  // fp32, bf16, fp16

// How one precision trains. Raises ember::Error listing the known names for another.
struct Precision {
  explicit Precision(const std::string& name);
  std::string name;
  bool autocast;
  DType autocast_dtype;
  bool loss_scaling;
};

// A scaler that scales only in fp16 and passes losses and steps through otherwise.
GradScaler make_scaler(const Precision& precision);

// One optimizer step on a batch: the forward and the cross-entropy loss in the precision,
// the backward and the step through the scaler. Returns the (unscaled) loss.
Tensor train_step(nn::Module& model, optim::Optimizer& optimizer, GradScaler& scaler,
                  const Precision& precision, const Device& device, const Tensor& input,
                  const Tensor& target);

}  // namespace ember::cli
