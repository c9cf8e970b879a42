#include "ember/optim/optimizer.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <set>
#include <string_view>
#include <tuple>

#include "autograd/graph.h"
#include "core/backend.h"
#include "core/check.h"
#include "core/excerpt.h"
#include "core/tensor_impl.h"
#include "ember/autograd.h"
#include "ember/ops.h"
#include "ops/composites.h"

namespace ember::optim {

Optimizer::Optimizer(std::vector<Tensor> params, double lr, std::string name)
    : name_(std::move(name)),
      params_(std::move(params)),
      buffers_(params_.size()),
      param_steps_(params_.size(), 0),
      lr_(lr) {
  const char* op = name_.c_str();
  EMBER_CHECK(!params_.empty(), op, "got an empty parameter list");
  std::set<const TensorImpl*> seen;
  for (const Tensor& p : params_) {
    EMBER_CHECK(p.defined() && p.requires_grad() && p.is_leaf(), op,
                "parameters must be leaf tensors that require grad");
    EMBER_CHECK(seen.insert(p.impl().get()).second, op,
                "a parameter appears twice in the list; it would be updated twice");
  }
  set_lr(lr);
}

void Optimizer::set_lr(double lr) {
  EMBER_CHECK(lr >= 0 && std::isfinite(lr), name_.c_str(), "learning rate must be >= 0, got ", lr);
  lr_ = lr;
}

void Optimizer::zero_grad(bool set_to_none) { autograd::clear_grads(params_, set_to_none); }

Tensor& Optimizer::buffer(size_t i, const std::string& name) {
  const Tensor& p = params_[i];
  auto [it, inserted] = buffers_[i].try_emplace(name);
  if (inserted) {
    it->second = zeros_like(p.detach());
  } else if (it->second.dtype() != p.dtype() || it->second.device() != p.device()) {
    it->second = it->second.to(p.device(), p.dtype());
  }
  return it->second;
}

TensorDict Optimizer::state_dict() const {
  TensorDict state{{"step", scalar_tensor(steps_, kInt64)}, {"lr", scalar_tensor(lr_, kFloat64)}};
  for (size_t i = 0; i < buffers_.size(); ++i) {
    std::string prefix = "state." + std::to_string(i) + ".";
    if (param_steps_[i] > 0) state.emplace(prefix + "step", scalar_tensor(param_steps_[i], kInt64));
    for (const auto& [name, tensor] : buffers_[i]) state.emplace(prefix + name, tensor);
  }
  return state;
}

namespace {

constexpr const char* kLoad = "load_state_dict";

Tensor scalar_entry(const TensorDict& state, const std::string& key) {
  auto found = state.find(key);
  EMBER_CHECK(found != state.end() && found->second.defined() && found->second.numel() == 1, kLoad,
              "optimizer state has no scalar '", excerpt(key), "'");
  return found->second;
}

// Counts are stored as int64 by Ember and as floats by PyTorch; either must be a whole
// number that later increments cannot overflow.
constexpr int64_t kMaxStep = int64_t{1} << 62;

int64_t step_entry(const TensorDict& state, const std::string& key) {
  Tensor entry = scalar_entry(state, key);
  if (entry.dtype() == kInt64) {
    int64_t step = entry.item<int64_t>();
    EMBER_CHECK(step >= 0 && step <= kMaxStep, kLoad, "'", excerpt(key), "' is ", step,
                ", not an integer in [0, 2^62]");
    return step;
  }
  double step = entry.item<double>();
  EMBER_CHECK(std::isfinite(step) && step >= 0 && step <= static_cast<double>(kMaxStep) &&
                  step == std::floor(step),
              kLoad, "'", excerpt(key), "' is ", step, ", not a finite integer in [0, 2^62]");
  return static_cast<int64_t>(step);
}

// "state.<i>.<name>" split into i and name.
std::pair<size_t, std::string> split_key(const std::string& key, size_t params) {
  constexpr std::string_view kPrefix = "state.";
  size_t dot = key.find('.', kPrefix.size());
  size_t index = 0;
  bool ok = key.rfind(kPrefix, 0) == 0 && dot != std::string::npos && dot > kPrefix.size();
  if (ok) {
    auto [end, error] = std::from_chars(key.data() + kPrefix.size(), key.data() + dot, index);
    ok = error == std::errc() && end == key.data() + dot;
  }
  EMBER_CHECK(ok, kLoad, "unexpected optimizer state key '", excerpt(key), "'");
  EMBER_CHECK(index < params, kLoad, "'", excerpt(key), "' is for parameter ", index,
              " but the optimizer has ", params);
  return {index, key.substr(dot + 1)};
}

}  // namespace

void Optimizer::load_state_dict(const TensorDict& state) {
  int64_t steps = step_entry(state, "step");
  double lr = scalar_entry(state, "lr").item<double>();
  EMBER_CHECK(lr >= 0 && std::isfinite(lr), kLoad, "optimizer state has lr ", lr,
              ", not a finite number >= 0");
  std::vector<std::string> names = buffer_names();
  std::vector<TensorDict> buffers(params_.size());
  std::vector<int64_t> param_steps(params_.size(), 0);
  for (const auto& [key, tensor] : state) {
    if (key == "step" || key == "lr") continue;
    auto [index, name] = split_key(key, params_.size());
    const Tensor& p = params_[index];
    if (name == "step") {
      param_steps[index] = step_entry(state, key);
      continue;
    }
    EMBER_CHECK(std::find(names.begin(), names.end(), name) != names.end(), kLoad, "'",
                excerpt(key), "' is not state that ", name_, " keeps");
    EMBER_CHECK(tensor.defined() && tensor.shape() == p.shape(), kLoad, "'", excerpt(key),
                "' has shape ", excerpt(shape_string(tensor.defined() ? tensor.shape() : Shape{})),
                " but its parameter has ", p.shape());
    EMBER_CHECK(tensor.dtype() == p.dtype(), kLoad, "'", excerpt(key), "' is ", tensor.dtype(),
                " but its parameter is ", p.dtype());
    buffers[index][name] = tensor.to(p.device(), p.dtype()).clone();
  }
  for (size_t i = 0; i < params_.size(); ++i) {
    check_complete(buffers[i], param_steps[i], names, i);
  }
  buffers_ = std::move(buffers);
  param_steps_ = std::move(param_steps);
  steps_ = steps;
  lr_ = lr;
}

void Optimizer::check_complete(const TensorDict& buffers, int64_t steps,
                               const std::vector<std::string>& names, size_t index) const {
  if (buffers.empty() && steps == 0) return;  // a parameter that has had no gradient yet
  for (const std::string& name : names) {
    EMBER_CHECK(buffers.count(name), kLoad, "the state of parameter ", index, " has no '", name,
                "' (state.", index, ".", name, "); ", name_,
                " would resume from zeros for it, not where it stopped");
  }
}

SGD::SGD(std::vector<Tensor> params, const SGDOptions& options)
    : Optimizer(std::move(params), options.lr, "SGD"), options_(options) {
  EMBER_CHECK(options.momentum >= 0 && options.weight_decay >= 0, "SGD",
              "momentum and weight_decay must be >= 0");
  EMBER_CHECK(!options.nesterov || (options.momentum > 0 && options.dampening == 0), "SGD",
              "nesterov needs a positive momentum and zero dampening");
}

void SGD::step() {
  NoGradGuard no_grad;
  count_step();
  for (size_t i = 0; i < params().size(); ++i) {
    Tensor p = params()[i];
    if (!p.grad().defined()) continue;
    Tensor g = p.grad();
    if (options_.weight_decay != 0) g = g + p * options_.weight_decay;
    if (options_.momentum != 0) {
      bool first = !has_buffer(i, "momentum_buffer");
      Tensor& momentum = buffer(i, "momentum_buffer");
      momentum = first ? g.clone() : momentum * options_.momentum + g * (1 - options_.dampening);
      g = options_.nesterov ? g + momentum * options_.momentum : momentum;
    }
    p.sub_(g, lr());
  }
}

Adam::Adam(std::vector<Tensor> params, const AdamOptions& options)
    : Adam(std::move(params), options, false, "Adam") {}

Adam::Adam(std::vector<Tensor> params, const AdamOptions& options, bool decoupled,
           const std::string& name)
    : Optimizer(std::move(params), options.lr, name), options_(options), decoupled_(decoupled) {
  EMBER_CHECK(options.beta1 >= 0 && options.beta1 < 1 && options.beta2 >= 0 && options.beta2 < 1,
              name.c_str(), "betas must be in [0, 1), got ", options.beta1, " and ", options.beta2);
  EMBER_CHECK(options.eps >= 0 && options.weight_decay >= 0, name.c_str(),
              "eps and weight_decay must be >= 0");
}

void Adam::step() {
  NoGradGuard no_grad;
  count_step();
  // Parameters that share device, dtype and step count are updated together: one
  // dispatch on a GPU.
  std::map<std::tuple<DeviceType, int, DType, int64_t>, std::vector<AdamTensors>> groups;
  for (size_t i = 0; i < params().size(); ++i) {
    const Tensor& p = params()[i];
    if (!p.grad().defined()) continue;
    EMBER_CHECK(p.is_contiguous() && is_floating_point(p.dtype()), "Adam",
                "parameters must be contiguous and floating-point, got ", p.dtype(),
                p.is_contiguous() ? "" : " (not contiguous)");
    Tensor grad = p.grad().to(p.dtype()).contiguous();
    int64_t step = count_param_step(i);
    groups[{p.device().type(), p.device().index(), p.dtype(), step}].push_back(
        {p, grad, buffer(i, "exp_avg"), buffer(i, "exp_avg_sq")});
  }
  for (const auto& [key, group] : groups) {
    AdamStep hyper{lr(),       options_.beta1,  options_.beta2, options_.eps, options_.weight_decay,
                   decoupled_, std::get<3>(key)};
    Backend& backend = backend_for(group.front().param.device());
    if (backend.supports(Primitive::AdamStep, std::get<2>(key))) {
      backend.adam_step(group, hyper);
    } else {
      composite::adam_step(group, hyper);
    }
  }
}

AdamW::AdamW(std::vector<Tensor> params, const AdamWOptions& o)
    : Adam(std::move(params), {o.lr, o.beta1, o.beta2, o.eps, o.weight_decay}, true, "AdamW") {}

double clip_grad_norm_(const std::vector<Tensor>& params, double max_norm) {
  NoGradGuard no_grad;
  std::vector<Tensor> squares;
  for (const Tensor& p : params) {
    if (p.grad().defined()) squares.push_back(square(p.grad().to(kFloat32)).sum());
  }
  if (squares.empty()) return 0;
  // One read back for the whole model; the sums stay on the gradients' device until then.
  double norm = std::sqrt(stack(squares).sum().item<double>());
  double scale = max_norm / (norm + 1e-6);
  if (!(scale >= 1)) {  // a NaN or infinite norm spreads into the gradients, as in PyTorch
    for (const Tensor& p : params) {
      if (p.grad().defined()) p.grad().mul_(scale);
    }
  }
  return norm;
}

}  // namespace ember::optim
