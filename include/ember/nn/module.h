// nn::Module: a model's parameters, buffers and submodules under dotted names
// ("encoder.0.weight"), as torch.nn.Module.
//
//   struct Net : nn::Module {
//     std::shared_ptr<nn::Linear> fc1, fc2;
//     Net() {
//       fc1 = register_module("fc1", nn::Linear(784, 128));
//       fc2 = register_module("fc2", nn::Linear(128, 10));
//     }
//     Tensor forward(const Tensor& x) override { return fc2->forward(relu(fc1->forward(x))); }
//   };
//
// A copy of a module shares its parameters and submodules (tensors are handles).
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ember/device.h"
#include "ember/io/safetensors.h"
#include "ember/tensor.h"

namespace ember::nn {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

class Module {
 public:
  virtual ~Module() = default;

  // The layer's computation; modules that take one tensor override it.
  virtual Tensor forward(const Tensor& input);
  Tensor operator()(const Tensor& input) { return forward(input); }
  // "Linear(in_features=784, out_features=10, bias=true)", as PyTorch's repr.
  virtual std::string describe() const { return "Module"; }

  // Parameters of this module and every submodule, in registration order.
  std::vector<Tensor> parameters() const;
  NamedTensors named_parameters() const;
  NamedTensors named_buffers() const;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> named_children() const {
    return children_;
  }

  // Training mode (the default) or evaluation mode, for this module and its submodules.
  void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }

  // Moves parameters and buffers (and gradients) in place: handles held elsewhere, by an
  // optimizer for instance, follow.
  void to(const Device& device);
  void to(DType dtype);  // floating-point parameters and buffers only
  // Sets every parameter's gradient to none (or to zeros).
  void zero_grad(bool set_to_none = true);

  // Parameters and buffers by dotted name.
  TensorDict state_dict() const;
  // Copies values into the existing tensors (their devices and dtypes stay). Strict: the
  // names must match exactly; an ember::Error lists missing and unexpected keys and shape
  // mismatches, and nothing is changed.
  void load_state_dict(const TensorDict& state, bool strict = true);

  // A tree of describe() lines, as printing a torch.nn.Module.
  std::string to_string() const;

 protected:
  Tensor register_parameter(const std::string& name, Tensor value, bool requires_grad = true);
  Tensor register_buffer(const std::string& name, Tensor value);
  template <typename M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> module) {
    add_child(name, module);
    return module;
  }
  template <typename M>
  std::shared_ptr<M> register_module(const std::string& name, M module) {
    return register_module(name, std::make_shared<M>(std::move(module)));
  }

 private:
  void add_child(const std::string& name, std::shared_ptr<Module> module);
  void check_new_name(const std::string& name) const;
  void collect(const std::string& prefix, NamedTensors& out, bool parameters) const;

  NamedTensors parameters_;
  NamedTensors buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  bool training_ = true;
};

std::ostream& operator<<(std::ostream& out, const Module& module);

}  // namespace ember::nn
