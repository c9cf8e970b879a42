#include "precision.h"

#include <algorithm>

namespace ember::cli {

std::vector<std::string> precision_names() { return {"fp32", "bf16", "fp16"}; }

Precision::Precision(const std::string& name)
    : name(name),
      autocast(name != "fp32"),
      autocast_dtype(name == "fp16" ? kFloat16 : kBFloat16),
      loss_scaling(name == "fp16") {
  std::vector<std::string> known = precision_names();
  if (std::find(known.begin(), known.end(), name) == known.end()) {
    throw Error("[train] unknown precision '" + name + "'; known: fp32, bf16, fp16");
  }
}

GradScaler make_scaler(const Precision& precision) {
  return GradScaler({.enabled = precision.loss_scaling});
}

Tensor train_step(nn::Module& model, optim::Optimizer& optimizer, GradScaler& scaler,
                  const Precision& precision, const Device& device, const Tensor& input,
                  const Tensor& target) {
  Tensor loss;
  {
    AutocastGuard autocast(device, precision.autocast_dtype, precision.autocast);
    loss = nn::functional::cross_entropy(model(input), target);
  }
  optimizer.zero_grad();
  scaler.scale(loss).backward();
  scaler.step(optimizer);
  scaler.update();
  return loss;
}

}  // namespace ember::cli
