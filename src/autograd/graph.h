// Recording the graph: how a front-end op attaches its derivative to its output.
//
//   Tensor out = ...forward...;
//   if (autograd::needs_grad(x, y)) {
//     autograd::record("mul", {x, y}, out, [x = x.detach(), y = y.detach()](const Tensor& g) {
//       return autograd::Grads{g * y, g * x};
//     });
//   }
//
// The derivative returns one gradient per input (undefined where none flows) with
// the input's shape. It runs with grad mode off. Capture detached tensors only: a
// capture of the output with its grad_fn would be a reference cycle.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <vector>

#include "ember/autograd.h"
#include "ember/tensor.h"

namespace ember::autograd {

using Grads = std::vector<Tensor>;
using Derivative = std::function<Grads(const Tensor& grad_output)>;

class FunctionNode;

// Where an input's gradient goes: the node that made it, or the leaf tensor itself.
struct Edge {
  std::shared_ptr<FunctionNode> node;
  std::shared_ptr<TensorImpl> leaf;
};

class FunctionNode : public Node {
 public:
  FunctionNode(const char* name, std::vector<Edge> inputs, Derivative derivative);
  ~FunctionNode() override;  // iterative, so that long chains do not overflow the stack

  const char* name() const override { return name_; }
  uint64_t sequence() const { return sequence_; }
  const std::vector<Edge>& inputs() const { return inputs_; }
  bool released() const { return !derivative_; }
  Grads apply(const Tensor& grad_output) const { return derivative_(grad_output); }
  void release() { derivative_ = nullptr; }

 private:
  const char* name_;
  uint64_t sequence_;  // creation order: consumers always come later than producers
  std::vector<Edge> inputs_;
  Derivative derivative_;
};

inline bool needs_grad(const Tensor& x) { return is_grad_enabled() && x.requires_grad(); }
template <typename... Rest>
bool needs_grad(const Tensor& x, const Rest&... rest) {
  return needs_grad(x) || (needs_grad(rest) || ...);
}
bool any_needs_grad(const std::vector<Tensor>& tensors);

// Makes out a non-leaf that requires grad, with a node for the derivative.
void record(const char* name, const std::vector<Tensor>& inputs, const Tensor& out,
            Derivative derivative);

// Sets each tensor's gradient to none, or to zeros where it has one (zero_grad of modules
// and optimizers).
void clear_grads(const std::vector<Tensor>& tensors, bool set_to_none);

// Sums grad over broadcast dimensions so that it has the given shape.
Tensor sum_to(const Tensor& grad, const Shape& shape);

}  // namespace ember::autograd
