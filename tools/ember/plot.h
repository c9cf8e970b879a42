// Training curves as an SVG a browser shows: loss by step, test accuracy by epoch.
#pragma once

#include <string>
#include <vector>

namespace ember::cli {

struct History {
  std::vector<double> step_loss;      // training loss of every step
  std::vector<double> epoch_loss;     // mean training loss of each epoch
  std::vector<double> test_accuracy;  // after each epoch
};

std::string training_svg(const History& history, const std::string& title);

}  // namespace ember::cli
