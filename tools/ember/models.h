// The models `ember train --model NAME` knows.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ember/ember.h"

namespace ember::cli {

// Raises ember::Error listing the known names for an unknown one.
std::shared_ptr<nn::Module> make_model(const std::string& name);
std::vector<std::string> model_names();

std::vector<std::string> optimizer_names();
// "sgd" (momentum 0.9), "adam" or "adamw" (weight decay 0.01) at learning rate lr.
std::unique_ptr<optim::Optimizer> make_optimizer(const std::string& name,
                                                 const std::vector<Tensor>& params, double lr);

}  // namespace ember::cli
