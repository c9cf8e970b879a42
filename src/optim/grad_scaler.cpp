// Dynamic loss scaling with PyTorch's update rule (torch.amp.GradScaler).
#include <cmath>

#include "autograd/autocast.h"
#include "core/check.h"
#include "ember/amp.h"
#include "ember/autograd.h"
#include "ember/ops.h"
#include "ember/optim/optimizer.h"

namespace ember {

namespace {

void check_options(const GradScalerOptions& options) {
  EMBER_CHECK(std::isfinite(options.init_scale) && options.init_scale > 0, "GradScaler",
              "init_scale must be finite and positive, got ", options.init_scale);
  EMBER_CHECK(std::isfinite(options.growth_factor) && options.growth_factor > 1, "GradScaler",
              "growth_factor must be > 1.0, got ", options.growth_factor);
  EMBER_CHECK(options.backoff_factor > 0 && options.backoff_factor < 1, "GradScaler",
              "backoff_factor must be in (0, 1), got ", options.backoff_factor);
  EMBER_CHECK(options.growth_interval > 0, "GradScaler", "growth_interval must be positive, got ",
              options.growth_interval);
}

// NaN exactly when some element of g is inf or NaN: the products with zero of finite
// values are zeros and add up to zero, without the overflow a plain sum could have.
Tensor non_finite_marker(const Tensor& g) { return (g * 0.0).sum().to(kFloat32); }

const Tensor& scalar_entry(const TensorDict& state, const char* name, DType dtype) {
  auto it = state.find(name);
  EMBER_CHECK(it != state.end(), "GradScaler.load_state_dict", "missing \"", name, "\"");
  const Tensor& t = it->second;
  EMBER_CHECK(t.defined() && t.numel() == 1 && t.dtype() == dtype, "GradScaler.load_state_dict",
              "\"", name, "\" must be one ", dtype, " value, got ",
              t.defined() ? dtype_name(t.dtype()) : "an undefined tensor", " of shape ",
              t.defined() ? t.shape() : Shape{});
  return t;
}

}  // namespace

GradScaler::GradScaler(const GradScalerOptions& options)
    : options_(options), scale_(options.init_scale) {
  check_options(options);
}

Tensor GradScaler::scale(const Tensor& loss) {
  EMBER_CHECK(loss.defined(), "GradScaler.scale", "loss must be defined");
  EMBER_CHECK(loss.numel() == 1 && is_floating_point(loss.dtype()), "GradScaler.scale",
              "expects a loss of one floating-point element, got ", loss.dtype(), " of shape ",
              loss.shape());
  if (!options_.enabled) return loss;
  EMBER_CHECK(autocast::last_dtype(loss.device().type()) != kBFloat16, "GradScaler.scale",
              "autocast last ran in bfloat16 for ", loss.device(),
              "'s device type, which has float32's range and needs no loss scaling; construct the "
              "GradScaler "
              "with enabled = false");
  scaled_ = true;
  return loss * scale_;
}

void GradScaler::unscale_(optim::Optimizer& optimizer) {
  if (!options_.enabled) return;
  EMBER_CHECK(scaled_, "GradScaler.unscale_",
              "scale() has not been called since the last update(): scale the loss before "
              "backward()");
  OptimizerState& state = per_optimizer_[&optimizer];
  EMBER_CHECK(!state.stepped, "GradScaler.unscale_", "unscale_() is being called after step()");
  EMBER_CHECK(!state.unscaled, "GradScaler.unscale_",
              "unscale_() has already been called on this optimizer since the last update()");
  NoGradGuard no_grad;
  double inverse = 1.0 / scale_;
  Tensor marker;
  for (const Tensor& param : optimizer.params()) {
    Tensor grad = param.grad();
    if (!grad.defined()) continue;
    EMBER_CHECK(grad.dtype() != kFloat16, "GradScaler.unscale_",
                "attempting to unscale float16 gradients: keep the parameters in float32 and "
                "run the forward under AutocastGuard");
    grad.mul_(inverse);
    Tensor mine = non_finite_marker(grad);
    marker = marker.defined() ? marker + mine : mine;
  }
  state.found_inf = marker.defined() && !std::isfinite(marker.item<float>());
  state.unscaled = true;
}

void GradScaler::step(optim::Optimizer& optimizer) {
  if (!options_.enabled) {
    optimizer.step();
    return;
  }
  EMBER_CHECK(scaled_, "GradScaler.step",
              "scale() has not been called since the last update(): scale the loss before "
              "backward()");
  EMBER_CHECK(!per_optimizer_[&optimizer].stepped, "GradScaler.step",
              "step() has already been called since the last update()");
  if (!per_optimizer_[&optimizer].unscaled) unscale_(optimizer);
  OptimizerState& state = per_optimizer_[&optimizer];
  if (!state.found_inf) optimizer.step();
  state.stepped = true;
}

void GradScaler::update() {
  if (!options_.enabled) return;
  bool checked = false, found_inf = false;
  for (const auto& [optimizer, state] : per_optimizer_) {
    checked = checked || state.unscaled;
    found_inf = found_inf || state.found_inf;
  }
  EMBER_CHECK(checked, "GradScaler.update",
              "no inf checks were recorded prior to update(): call step() or unscale_() first");
  if (found_inf) {
    scale_ *= options_.backoff_factor;
    growth_tracker_ = 0;
  } else if (++growth_tracker_ == options_.growth_interval) {
    double grown = scale_ * options_.growth_factor;
    if (std::isfinite(grown)) scale_ = grown;
    growth_tracker_ = 0;
  }
  per_optimizer_.clear();
  scaled_ = false;
}

double GradScaler::get_scale() const { return options_.enabled ? scale_ : 1.0; }

TensorDict GradScaler::state_dict() const {
  if (!options_.enabled) return {};
  return {{"scale", full({}, scale_, kFloat64)},
          {"growth_tracker", full({}, growth_tracker_, kInt64)}};
}

void GradScaler::load_state_dict(const TensorDict& state) {
  EMBER_CHECK(options_.enabled, "GradScaler.load_state_dict",
              "cannot load state into a disabled GradScaler");
  EMBER_CHECK(state.size() == 2, "GradScaler.load_state_dict",
              "expects exactly \"scale\" and \"growth_tracker\", got ", state.size(), " entries");
  auto scale = scalar_entry(state, "scale", kFloat64).to(kCPU).item<double>();
  auto tracker = scalar_entry(state, "growth_tracker", kInt64).to(kCPU).item<int64_t>();
  EMBER_CHECK(std::isfinite(scale) && scale > 0, "GradScaler.load_state_dict",
              "scale must be finite and positive, got ", scale);
  EMBER_CHECK(tracker >= 0 && tracker < options_.growth_interval, "GradScaler.load_state_dict",
              "growth_tracker must be in [0, ", options_.growth_interval, "), got ", tracker);
  scale_ = scale;
  growth_tracker_ = tracker;
  per_optimizer_.clear();
  scaled_ = false;
}

}  // namespace ember
