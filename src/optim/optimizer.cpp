#include "ember/optim/optimizer.h"

#include <cmath>

#include "core/backend.h"
#include "core/check.h"
#include "ember/autograd.h"
#include "ember/ops.h"

namespace ember::optim {

Optimizer::Optimizer(std::vector<Tensor> params, double lr, const char* name)
    : name_(name), params_(std::move(params)), buffers_(params_.size()), lr_(lr) {
  EMBER_CHECK(!params_.empty(), name_, "got an empty parameter list");
  for (const Tensor& p : params_) {
    EMBER_CHECK(p.defined() && p.requires_grad() && p.is_leaf(), name_,
                "parameters must be leaf tensors that require grad");
  }
  set_lr(lr);
}

void Optimizer::set_lr(double lr) {
  EMBER_CHECK(lr >= 0 && std::isfinite(lr), name_, "learning rate must be >= 0, got ", lr);
  lr_ = lr;
}

void Optimizer::zero_grad(bool set_to_none) {
  for (Tensor& p : params_) {
    if (set_to_none || !p.grad().defined()) {
      p.set_grad(Tensor());
    } else {
      p.set_grad(zeros_like(p.grad()));
    }
  }
}

Tensor& Optimizer::buffer(size_t i, const std::string& name) {
  auto [it, inserted] = buffers_[i].try_emplace(name);
  if (inserted) it->second = zeros_like(params_[i].detach());
  return it->second;
}

TensorDict Optimizer::state_dict() const {
  TensorDict state{{"step", scalar_tensor(steps_, kInt64)}, {"lr", scalar_tensor(lr_, kFloat64)}};
  for (size_t i = 0; i < buffers_.size(); ++i) {
    for (const auto& [name, tensor] : buffers_[i]) {
      state.emplace("state." + std::to_string(i) + "." + name, tensor);
    }
  }
  return state;
}

void Optimizer::load_state_dict(const TensorDict& state) {
  auto scalar = [&](const char* key) {
    auto found = state.find(key);
    EMBER_CHECK(found != state.end() && found->second.numel() == 1, "load_state_dict",
                "optimizer state has no scalar '", key, "'");
    return found->second;
  };
  int64_t steps = scalar("step").item<int64_t>();
  double lr = scalar("lr").item<double>();
  std::vector<TensorDict> buffers(params_.size());
  for (const auto& [key, tensor] : state) {
    if (key == "step" || key == "lr") continue;
    size_t dot = key.find('.', 6);
    EMBER_CHECK(key.rfind("state.", 0) == 0 && dot != std::string::npos, "load_state_dict",
                "unexpected optimizer state key '", key, "'");
    size_t index = std::stoul(key.substr(6, dot - 6));
    EMBER_CHECK(index < params_.size(), "load_state_dict", "state for parameter ", index,
                " but the optimizer has ", params_.size());
    EMBER_CHECK(tensor.shape() == params_[index].shape(), "load_state_dict", "'", key,
                "' has shape ", tensor.shape(), " but its parameter has ", params_[index].shape());
    buffers[index][key.substr(dot + 1)] =
        tensor.to(params_[index].device(), params_[index].dtype());
  }
  buffers_ = std::move(buffers);
  steps_ = steps;
  set_lr(lr);
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
  bool first = next_step() == 1;
  for (size_t i = 0; i < params().size(); ++i) {
    Tensor p = params()[i];
    if (!p.grad().defined()) continue;
    Tensor g = p.grad();
    if (options_.weight_decay != 0) g = g + p * options_.weight_decay;
    if (options_.momentum != 0) {
      Tensor& momentum = buffer(i, "momentum_buffer");
      momentum = first ? g.clone() : momentum * options_.momentum + g * (1 - options_.dampening);
      g = options_.nesterov ? g + momentum * options_.momentum : momentum;
    }
    p.sub_(g, lr());
  }
}

Adam::Adam(std::vector<Tensor> params, const AdamOptions& options)
    : Adam(std::move(params), options, false, "Adam") {}

Adam::Adam(std::vector<Tensor> params, const AdamOptions& options, bool decoupled, const char* name)
    : Optimizer(std::move(params), options.lr, name), options_(options), decoupled_(decoupled) {
  EMBER_CHECK(options.beta1 >= 0 && options.beta1 < 1 && options.beta2 >= 0 && options.beta2 < 1,
              name, "betas must be in [0, 1), got ", options.beta1, " and ", options.beta2);
  EMBER_CHECK(options.eps >= 0 && options.weight_decay >= 0, name,
              "eps and weight_decay must be >= 0");
}

void Adam::step() {
  NoGradGuard no_grad;
  AdamStep hyper{lr(),       options_.beta1, options_.beta2, options_.eps, options_.weight_decay,
                 decoupled_, next_step()};
  for (size_t i = 0; i < params().size(); ++i) {
    const Tensor& p = params()[i];
    if (!p.grad().defined()) continue;
    Tensor grad = p.grad().to(p.dtype()).contiguous();
    EMBER_CHECK(p.is_contiguous(), "Adam", "parameters must be contiguous");
    backend_for(p.device())
        .adam_step(p, grad, buffer(i, "exp_avg"), buffer(i, "exp_avg_sq"), hyper);
  }
}

AdamW::AdamW(std::vector<Tensor> params, const AdamWOptions& o)
    : Adam(std::move(params), {o.lr, o.beta1, o.beta2, o.eps, o.weight_decay}, true, "AdamW") {}

double clip_grad_norm_(const std::vector<Tensor>& params, double max_norm) {
  NoGradGuard no_grad;
  double total = 0;
  for (const Tensor& p : params) {
    if (p.grad().defined()) total += square(p.grad().to(kFloat64)).sum().item<double>();
  }
  double norm = std::sqrt(total);
  double scale = max_norm / (norm + 1e-6);
  if (scale < 1) {
    for (const Tensor& p : params) {
      if (p.grad().defined()) p.grad().mul_(scale);
    }
  }
  return norm;
}

}  // namespace ember::optim
