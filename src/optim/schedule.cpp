#include "ember/optim/schedule.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "core/check.h"

namespace ember::optim {

StepLR::StepLR(Optimizer& optimizer, int64_t step_size, double gamma)
    : optimizer_(optimizer), base_lr_(optimizer.lr()), step_size_(step_size), gamma_(gamma) {
  EMBER_CHECK(step_size > 0, "StepLR", "step_size must be positive, got ", step_size);
}

double StepLR::lr() const {
  return base_lr_ * std::pow(gamma_, static_cast<double>(count_ / step_size_));
}

void StepLR::step() {
  ++count_;
  optimizer_.set_lr(lr());
}

WarmupCosineLR::WarmupCosineLR(Optimizer& optimizer, int64_t warmup_steps, int64_t total_steps,
                               double min_lr)
    : optimizer_(optimizer),
      base_lr_(optimizer.lr()),
      warmup_steps_(warmup_steps),
      total_steps_(total_steps),
      min_lr_(min_lr) {
  EMBER_CHECK(warmup_steps >= 0 && total_steps > warmup_steps, "WarmupCosineLR",
              "needs 0 <= warmup_steps < total_steps, got ", warmup_steps, " and ", total_steps);
  optimizer_.set_lr(lr());
}

double WarmupCosineLR::lr_at(int64_t count) const {
  if (count < warmup_steps_) {
    return base_lr_ * static_cast<double>(count + 1) / static_cast<double>(warmup_steps_);
  }
  double progress = std::min(1.0, static_cast<double>(count - warmup_steps_) /
                                      static_cast<double>(total_steps_ - warmup_steps_));
  return min_lr_ + (base_lr_ - min_lr_) * 0.5 * (1 + std::cos(std::numbers::pi * progress));
}

double WarmupCosineLR::lr() const { return lr_at(count_); }

void WarmupCosineLR::step() {
  ++count_;
  optimizer_.set_lr(lr());
}

}  // namespace ember::optim
