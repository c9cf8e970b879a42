// Learning-rate schedules, called once per step or epoch after optimizer.step().
#pragma once

#include "ember/optim/optimizer.h"

namespace ember::optim {

// lr = base_lr * gamma^(epoch / step_size), as torch.optim.lr_scheduler.StepLR.
class StepLR {
 public:
  StepLR(Optimizer& optimizer, int64_t step_size, double gamma = 0.1);
  void step();
  double lr() const;

 private:
  Optimizer& optimizer_;
  double base_lr_;
  int64_t step_size_;
  double gamma_;
  int64_t count_ = 0;
};

// Linear warm-up from 0 over warmup_steps, then cosine annealing down to min_lr at
// total_steps (and min_lr after it).
class WarmupCosineLR {
 public:
  WarmupCosineLR(Optimizer& optimizer, int64_t warmup_steps, int64_t total_steps,
                 double min_lr = 0.0);
  void step();
  double lr() const;

 private:
  double lr_at(int64_t count) const;

  Optimizer& optimizer_;
  double base_lr_;
  int64_t warmup_steps_, total_steps_;
  double min_lr_;
  int64_t count_ = 0;
};

}  // namespace ember::optim
