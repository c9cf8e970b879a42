// Reverse-mode automatic differentiation: a dynamic tape as in PyTorch.
#pragma once

#include <memory>
#include <vector>

#include "ember/tensor.h"

namespace ember {
namespace autograd {

// One recorded operation of the graph; Tensor::grad_fn() points at the op that made it.
class Node {
 public:
  virtual ~Node() = default;
  virtual const char* name() const = 0;
};

}  // namespace autograd

bool is_grad_enabled();
void set_grad_enabled(bool enabled);

// Disables graph recording in its scope (for inference and optimizer steps).
class NoGradGuard {
 public:
  NoGradGuard() : previous_(is_grad_enabled()) { set_grad_enabled(false); }
  ~NoGradGuard() { set_grad_enabled(previous_); }
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

// Backpropagates from several outputs at once; gradients default to ones for
// single-element outputs.
void backward(const std::vector<Tensor>& outputs, const std::vector<Tensor>& gradients = {},
              bool retain_graph = false);

}  // namespace ember
