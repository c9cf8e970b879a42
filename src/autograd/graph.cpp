#include "autograd/graph.h"

#include <atomic>

#include "core/tensor_impl.h"
#include "ember/ops.h"

namespace ember {

namespace {
thread_local bool grad_enabled = true;
std::atomic<uint64_t> next_sequence{0};
}  // namespace

bool is_grad_enabled() { return grad_enabled; }
void set_grad_enabled(bool enabled) { grad_enabled = enabled; }

namespace autograd {

FunctionNode::FunctionNode(const char* name, std::vector<Edge> inputs, Derivative derivative)
    : name_(name),
      sequence_(next_sequence.fetch_add(1, std::memory_order_relaxed)),
      inputs_(std::move(inputs)),
      derivative_(std::move(derivative)) {}

FunctionNode::~FunctionNode() {
  std::vector<std::shared_ptr<FunctionNode>> doomed;
  for (Edge& edge : inputs_) {
    if (edge.node) doomed.push_back(std::move(edge.node));
  }
  while (!doomed.empty()) {
    std::shared_ptr<FunctionNode> node = std::move(doomed.back());
    doomed.pop_back();
    if (node.use_count() != 1) continue;
    for (Edge& edge : node->inputs_) {
      if (edge.node) doomed.push_back(std::move(edge.node));
    }
    node->derivative_ = nullptr;
  }
}

bool any_needs_grad(const std::vector<Tensor>& tensors) {
  if (!is_grad_enabled()) return false;
  for (const Tensor& t : tensors) {
    if (t.requires_grad()) return true;
  }
  return false;
}

void record(const char* name, const std::vector<Tensor>& inputs, const Tensor& out,
            Derivative derivative) {
  std::vector<Edge> edges(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& input = inputs[i];
    if (!input.defined() || !input.requires_grad()) continue;
    const auto& impl = input.impl();
    if (impl->grad_fn) {
      edges[i].node = std::static_pointer_cast<FunctionNode>(impl->grad_fn);
    } else {
      edges[i].leaf = impl;
    }
  }
  TensorImpl& target = *out.impl();
  target.requires_grad = true;
  target.grad_fn = std::make_shared<FunctionNode>(name, std::move(edges), std::move(derivative));
}

void clear_grads(const std::vector<Tensor>& tensors, bool set_to_none) {
  for (Tensor p : tensors) {
    p.set_grad(set_to_none || !p.grad().defined() ? Tensor() : zeros_like(p.grad()));
  }
}

Tensor sum_to(const Tensor& grad, const Shape& shape) {
  if (grad.shape() == shape) return grad;
  int64_t leading = grad.dim() - static_cast<int64_t>(shape.size());
  std::vector<int64_t> dims;
  for (int64_t d = 0; d < grad.dim(); ++d) {
    if (d < leading || (shape[d - leading] == 1 && grad.size(d) != 1)) dims.push_back(d);
  }
  Tensor summed = dims.empty() ? grad : sum(grad, dims, /*keepdim=*/true);
  return summed.reshape(shape);
}

}  // namespace autograd
}  // namespace ember
