// Optimizers with PyTorch's update rules, and learning-rate schedules.
//
//   optim::AdamW opt(model.parameters(), {.lr = 1e-3, .weight_decay = 0.01});
//   opt.zero_grad(); loss.backward(); opt.step();
#pragma once

#include <string>
#include <vector>

#include "ember/io/safetensors.h"
#include "ember/tensor.h"

namespace ember::optim {

class Optimizer {
 public:
  Optimizer(std::vector<Tensor> params, double lr, std::string name);
  virtual ~Optimizer() = default;

  // One update of every parameter that has a gradient, without autograd.
  virtual void step() = 0;
  // Sets the gradients to none (the default, as PyTorch 2) or to zeros.
  void zero_grad(bool set_to_none = true);

  double lr() const { return lr_; }
  void set_lr(double lr);
  const std::vector<Tensor>& params() const { return params_; }
  int64_t steps() const { return steps_; }

  // The running state ("step", "lr", "state.<i>.step", "state.<i>.<buffer>") for
  // checkpoints. state_dict shares the live buffers; loading copies, checks every name,
  // shape, dtype and count, and that a parameter with any state has all of its buffers,
  // and raises ember::Error without changing anything on a mismatch.
  TensorDict state_dict() const;
  void load_state_dict(const TensorDict& state);

 protected:
  // Parameter i's buffer (e.g. "exp_avg"): created as zeros, and kept on the parameter's
  // device and dtype when the parameter moves.
  Tensor& buffer(size_t i, const std::string& name);
  bool has_buffer(size_t i, const std::string& name) const { return buffers_[i].count(name); }
  // Counts a step of the optimizer and one of parameter i, whose count Adam's bias
  // correction uses (a parameter that gets gradients late starts at 1, as in PyTorch).
  void count_step() { ++steps_; }
  int64_t count_param_step(size_t i) { return ++param_steps_[i]; }
  // The buffer names a subclass keeps per parameter, for checking loaded state.
  virtual std::vector<std::string> buffer_names() const = 0;

 private:
  // Refuses a parameter's loaded state that has some of its buffers but not all.
  void check_complete(const TensorDict& buffers, int64_t steps,
                      const std::vector<std::string>& names, size_t index) const;

  std::string name_;
  std::vector<Tensor> params_;
  std::vector<TensorDict> buffers_;
  std::vector<int64_t> param_steps_;
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
  std::vector<std::string> buffer_names() const override { return {"momentum_buffer"}; }
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
  Adam(std::vector<Tensor> params, const AdamOptions& options, bool decoupled,
       const std::string& name);

 private:
  std::vector<std::string> buffer_names() const override { return {"exp_avg", "exp_avg_sq"}; }
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
