// Optimizers with PyTorch's update rules, and learning-rate schedules.
//
//   optim::AdamW opt(model.parameters(), {.lr = 1e-3, .weight_decay = 0.01});
//   opt.zero_grad(); loss.backward(); opt.step();
#pragma once

#include <vector>

#include "ember/io/safetensors.h"
#include "ember/tensor.h"

namespace ember::optim {

class Optimizer {
 public:
  Optimizer(std::vector<Tensor> params, double lr, const char* name);
  virtual ~Optimizer() = default;

  // One update of every parameter that has a gradient, without autograd.
  virtual void step() = 0;
  // Sets the gradients to none (the default, as PyTorch 2) or to zeros.
  void zero_grad(bool set_to_none = true);

  double lr() const { return lr_; }
  void set_lr(double lr);
  const std::vector<Tensor>& params() const { return params_; }
  int64_t steps() const { return steps_; }

  // The running state ("step", "lr", "state.<i>.<buffer>") for checkpoints; loading
  // checks names and shapes and raises ember::Error without changing anything on a mismatch.
  TensorDict state_dict() const;
  void load_state_dict(const TensorDict& state);

 protected:
  // The per-parameter buffer name (e.g. "exp_avg") of parameter i, created as zeros.
  Tensor& buffer(size_t i, const std::string& name);
  int64_t next_step() { return ++steps_; }

 private:
  const char* name_;
  std::vector<Tensor> params_;
  std::vector<TensorDict> buffers_;
  double lr_;
  int64_t steps_ = 0;
};

struct SGDOptions {
  double lr = 0.01;
  double momentum = 0;
  double dampening = 0;
  double weight_decay = 0;
  bool nesterov = false;
};

class SGD : public Optimizer {
 public:
  SGD(std::vector<Tensor> params, const SGDOptions& options = {});
  void step() override;

 private:
  SGDOptions options_;
};

struct AdamOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0;
};

class Adam : public Optimizer {
 public:
  Adam(std::vector<Tensor> params, const AdamOptions& options = {});
  void step() override;

 protected:
  Adam(std::vector<Tensor> params, const AdamOptions& options, bool decoupled, const char* name);

 private:
  AdamOptions options_;
  bool decoupled_;
};

struct AdamWOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.01;
};

// Adam with decoupled weight decay: p -= lr * weight_decay * p before the Adam step.
class AdamW : public Adam {
 public:
  AdamW(std::vector<Tensor> params, const AdamWOptions& options = {});
};

// Scales the gradients so that their joint 2-norm is at most max_norm; returns the norm
// before clipping, as torch.nn.utils.clip_grad_norm_.
double clip_grad_norm_(const std::vector<Tensor>& params, double max_norm);

}  // namespace ember::optim
