#include "ember/nn/module.h"

#include <algorithm>
#include <set>
#include <sstream>

#include "autograd/graph.h"
#include "core/check.h"
#include "core/excerpt.h"
#include "core/tensor_impl.h"
#include "ember/autograd.h"
#include "ember/ops.h"

namespace ember::nn {

Tensor Module::forward(const Tensor&) {
  detail::fail("forward", describe(), " has no single-input forward");
}

void Module::check_new_name(const std::string& name) const {
  EMBER_CHECK(!name.empty() && name.find('.') == std::string::npos, "register",
              "a name must be non-empty and without dots, got '", name, "'");
  auto taken = [&](const auto& list) {
    return std::any_of(list.begin(), list.end(), [&](const auto& e) { return e.first == name; });
  };
  EMBER_CHECK(!taken(parameters_) && !taken(buffers_) && !taken(children_), "register", "'", name,
              "' is already registered in ", describe());
}

Tensor Module::register_parameter(const std::string& name, Tensor value, bool requires_grad) {
  check_new_name(name);
  EMBER_CHECK(value.defined(), "register_parameter", "parameter '", name, "' is undefined");
  value = value.detach();
  value.requires_grad_(requires_grad);
  parameters_.emplace_back(name, value);
  return value;
}

Tensor Module::register_buffer(const std::string& name, Tensor value) {
  check_new_name(name);
  EMBER_CHECK(value.defined(), "register_buffer", "buffer '", name, "' is undefined");
  buffers_.emplace_back(name, value);
  return value;
}

void Module::add_child(const std::string& name, std::shared_ptr<Module> module) {
  check_new_name(name);
  EMBER_CHECK(module != nullptr, "register_module", "module '", name, "' is null");
  children_.emplace_back(name, std::move(module));
}

void Module::collect(const std::string& prefix, NamedTensors& out, bool parameters) const {
  for (const auto& [name, tensor] : parameters ? parameters_ : buffers_) {
    out.emplace_back(prefix + name, tensor);
  }
  for (const auto& [name, child] : children_) child->collect(prefix + name + ".", out, parameters);
}

namespace {

// A tensor registered under two names (a shared submodule, tied weights) counts once, by
// its first name, as with PyTorch's remove_duplicate.
NamedTensors without_repeats(NamedTensors named) {
  std::set<const TensorImpl*> seen;
  NamedTensors out;
  for (auto& entry : named) {
    if (seen.insert(entry.second.impl().get()).second) out.push_back(std::move(entry));
  }
  return out;
}

}  // namespace

NamedTensors Module::named_parameters() const {
  NamedTensors out;
  collect("", out, true);
  return without_repeats(std::move(out));
}

NamedTensors Module::named_buffers() const {
  NamedTensors out;
  collect("", out, false);
  return without_repeats(std::move(out));
}

std::vector<Tensor> Module::parameters() const {
  std::vector<Tensor> out;
  for (auto& entry : named_parameters()) out.push_back(entry.second);
  return out;
}

void Module::train(bool on) {
  training_ = on;
  for (auto& entry : children_) entry.second->train(on);
}

namespace {

void replace_data(Tensor& tensor, const Tensor& source) {
  Tensor grad = tensor.grad();
  tensor.impl()->set_data(*source.impl());
  if (grad.defined()) tensor.set_grad(grad.to(source.device(), source.dtype()));
}

}  // namespace

void Module::to(const Device& device) {
  NoGradGuard no_grad;
  for (NamedTensors list : {named_parameters(), named_buffers()}) {
    for (auto& [name, tensor] : list) {
      if (tensor.device() != device) replace_data(tensor, tensor.detach().to(device));
    }
  }
}

void Module::to(DType dtype) {
  EMBER_CHECK(is_floating_point(dtype), "to", "modules convert to floating-point dtypes only, got ",
              dtype);
  NoGradGuard no_grad;
  for (NamedTensors list : {named_parameters(), named_buffers()}) {
    for (auto& [name, tensor] : list) {
      if (is_floating_point(tensor.dtype()) && tensor.dtype() != dtype) {
        replace_data(tensor, tensor.detach().to(dtype));
      }
    }
  }
}

void Module::zero_grad(bool set_to_none) { autograd::clear_grads(parameters(), set_to_none); }

TensorDict Module::state_dict() const {
  TensorDict out;
  for (NamedTensors list : {named_parameters(), named_buffers()}) {
    for (auto& [name, tensor] : list) out.emplace(name, tensor.detach());
  }
  return out;
}

namespace {

std::string join(const std::vector<std::string>& names, const std::string& separator = ", ") {
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "" : separator) + name;
  return out;
}

// A state read from a file may differ in millions of keys: a message lists the first few.
constexpr size_t kMaxListedKeys = 5;

std::string listed(const std::vector<std::string>& problems) {
  size_t shown = std::min(problems.size(), kMaxListedKeys);
  std::string out = join({problems.begin(), problems.begin() + static_cast<ptrdiff_t>(shown)});
  if (problems.size() > shown) out += " and " + std::to_string(problems.size() - shown) + " more";
  return out;
}

std::string shape_excerpt(const Tensor& tensor) {
  return tensor.defined() ? excerpt(shape_string(tensor.shape())) : std::string("undefined");
}

}  // namespace

void Module::load_state_dict(const TensorDict& state, bool strict) {
  TensorDict own = state_dict();
  std::vector<std::string> missing, unexpected, mismatched;
  for (const auto& [name, tensor] : own) {
    auto found = state.find(name);
    if (found == state.end()) {
      missing.push_back(name);
    } else if (!found->second.defined() || found->second.shape() != tensor.shape()) {
      mismatched.push_back(excerpt(name) + " (expected " + shape_excerpt(tensor) + ", got " +
                           shape_excerpt(found->second) + ")");
    }
  }
  for (const auto& entry : state) {
    if (strict && !own.count(entry.first)) unexpected.push_back(excerpt(entry.first));
  }
  bool names_differ = strict && (!missing.empty() || !unexpected.empty());
  if (names_differ || !mismatched.empty()) {
    std::vector<std::string> problems;
    if (strict && !missing.empty()) problems.push_back("missing keys: " + listed(missing));
    if (strict && !unexpected.empty()) problems.push_back("unexpected keys: " + listed(unexpected));
    if (!mismatched.empty()) problems.push_back("shape mismatches: " + listed(mismatched));
    detail::fail("load_state_dict", "the state does not fit ", describe(), ": ",
                 join(problems, "; "));
  }
  NoGradGuard no_grad;
  for (auto& [name, tensor] : own) {
    auto found = state.find(name);
    if (found != state.end()) tensor.copy_(found->second);
  }
}

std::string Module::to_string() const {
  if (children_.empty()) return describe();
  std::string out = describe() + "(\n";
  for (const auto& [name, child] : children_) {
    std::string text = child->to_string();
    std::string indented;
    for (char c : text) indented += c == '\n' ? std::string("\n  ") : std::string(1, c);
    out += "  (" + name + "): " + indented + "\n";
  }
  return out + ")";
}

std::ostream& operator<<(std::ostream& out, const Module& module) {
  return out << module.to_string();
}

}  // namespace ember::nn
