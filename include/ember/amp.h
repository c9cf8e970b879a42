// Mixed precision, as torch.autocast and torch.amp.GradScaler.
//
//   {
//     AutocastGuard autocast(dev, kBFloat16);          // or kFloat16
//     loss = nn::functional::cross_entropy(model(x), target);
//   }
//   GradScaler scaler({.init_scale = 65536.0});        // float16 only
//   scaler.scale(loss).backward(); scaler.step(opt); scaler.update();
#pragma once

#include <cstdint>
#include <map>

#include "ember/device.h"
#include "ember/dtype.h"
#include "ember/io/safetensors.h"
#include "ember/tensor.h"

namespace ember {

namespace optim {
class Optimizer;
}

// While alive, ops on floating tensors of the guard's device type (cpu or vulkan, any
// index) pick their precision per op, following torch.autocast's lists:
//   - in `dtype`: matmul and nn::functional::linear (so nn::Linear);
//   - in float32 (16-bit inputs are cast up): softmax, log_softmax, logsumexp, sum, mean,
//     prod, var, std, cumsum, exp, log, log1p, expm1, rsqrt, reciprocal, pow, softplus,
//     layer_norm, cross_entropy, nll_loss, mse_loss, l1_loss and
//     binary_cross_entropy_with_logits;
//   - every other op in its inputs' dtype. float64 and integer tensors are never cast.
// The casts are recorded by autograd, so gradients reach float32 parameters in float32.
// A leaf tensor that requires grad (a parameter) is cast once while the outermost guard
// lives, however often it is used. Call backward() after the guard has ended.
// The state is per thread and per device type; guards nest, and `enabled = false` turns
// autocast off inside an enabled guard. dtype must be float16 or bfloat16.
class AutocastGuard {
 public:
  AutocastGuard(const Device& device, DType dtype, bool enabled = true);
  ~AutocastGuard();
  AutocastGuard(const AutocastGuard&) = delete;
  AutocastGuard& operator=(const AutocastGuard&) = delete;

 private:
  DeviceType type_;
  bool previous_enabled_;
  DType previous_dtype_;
};

// Whether autocast is on for a device type on this thread, and in which dtype.
bool is_autocast_enabled(DeviceType type);
DType get_autocast_dtype(DeviceType type);

// PyTorch's defaults.
struct GradScalerOptions {
  double init_scale = 65536.0;
  double growth_factor = 2.0;
  double backoff_factor = 0.5;
  int64_t growth_interval = 2000;
  bool enabled = true;
};

// Dynamic loss scaling for float16 training: the loss is multiplied by the scale so that
// small gradients do not flush to zero; step() divides the gradients back and skips the
// update when any of them is inf or NaN; update() halves the scale after such a step and
// doubles it after growth_interval clean steps in a row. bfloat16 has float32's range and
// needs no scaling: scale() refuses a loss whose device type last ran autocast (on this
// thread) in bfloat16; construct the scaler with enabled = false to keep one training loop
// for every precision (it then passes losses and steps through unchanged).
class GradScaler {
 public:
  explicit GradScaler(const GradScalerOptions& options = {});

  // The loss times the scale, for backward(); loss must have one floating element.
  Tensor scale(const Tensor& loss);
  // Divides the gradients of optimizer's parameters by the scale in place and records
  // whether any is inf or NaN (the one host synchronisation of a step). At most once per
  // optimizer between updates, and before step().
  void unscale_(optim::Optimizer& optimizer);
  // unscale_ unless already done, then optimizer.step() unless a gradient was not finite.
  void step(optim::Optimizer& optimizer);
  // Backs off or grows the scale from the steps since the last update.
  void update();

  double get_scale() const;  // 1 when disabled
  int64_t growth_tracker() const { return growth_tracker_; }
  bool is_enabled() const { return options_.enabled; }

  // "scale" and "growth_tracker" as float64 scalars (PyTorch's state_dict keeps these and
  // the options, which belong to the code). Loading checks both and changes nothing on a
  // mismatch.
  TensorDict state_dict() const;
  void load_state_dict(const TensorDict& state);

 private:
  struct OptimizerState {
    bool unscaled = false;
    bool stepped = false;
    bool found_inf = false;
  };

  GradScalerOptions options_;
  double scale_;
  int64_t growth_tracker_ = 0;
  bool scaled_ = false;
  std::map<const optim::Optimizer*, OptimizerState> per_optimizer_;
};

}  // namespace ember
