// The backward pass: nodes run in reverse creation order, which is a reverse
// topological order because an op's node is always created after its inputs' nodes.
#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "autograd/graph.h"
#include "core/check.h"
#include "core/tensor_impl.h"
#include "ember/ops.h"

namespace ember {

namespace {

using autograd::FunctionNode;

void accumulate_into_leaf(TensorImpl& leaf, Tensor grad) {
  EMBER_CHECK(grad.shape() == leaf.shape(), "backward", "gradient of shape ", grad.shape(),
              " for a leaf of shape ", leaf.shape());
  if (grad.dtype() != leaf.dtype()) grad = grad.to(leaf.dtype());
  if (!leaf.grad.defined()) {
    // The same gradient may reach several leaves (add passes it through): give each its
    // own copy so that in-place updates of one .grad cannot change another.
    bool sole_owner = grad.impl().use_count() == 1 && grad.impl()->storage().use_count() == 1;
    leaf.grad = sole_owner && grad.is_contiguous() ? grad : grad.clone();
  } else {
    leaf.grad = leaf.grad + grad;
  }
}

std::vector<FunctionNode*> nodes_in_reverse_order(const std::vector<FunctionNode*>& roots) {
  std::vector<FunctionNode*> order;
  std::unordered_set<FunctionNode*> seen;
  std::vector<FunctionNode*> stack;
  for (FunctionNode* root : roots) {
    if (seen.insert(root).second) stack.push_back(root);
  }
  while (!stack.empty()) {
    FunctionNode* node = stack.back();
    stack.pop_back();
    order.push_back(node);
    for (const auto& edge : node->inputs()) {
      if (edge.node && seen.insert(edge.node.get()).second) stack.push_back(edge.node.get());
    }
  }
  std::sort(order.begin(), order.end(),
            [](FunctionNode* a, FunctionNode* b) { return a->sequence() > b->sequence(); });
  return order;
}

Tensor initial_gradient(const Tensor& output, const Tensor& given) {
  if (given.defined()) {
    EMBER_CHECK(given.shape() == output.shape(), "backward", "gradient has shape ", given.shape(),
                " but the output has shape ", output.shape());
    return given.to(output.device(), output.dtype());
  }
  EMBER_CHECK(output.numel() == 1, "backward",
              "a gradient can be created implicitly only for single-element outputs; got shape ",
              output.shape());
  return ones_like(output);
}

}  // namespace

void backward(const std::vector<Tensor>& outputs, const std::vector<Tensor>& gradients,
              bool retain_graph) {
  EMBER_CHECK(gradients.empty() || gradients.size() == outputs.size(), "backward", "got ",
              gradients.size(), " gradients for ", outputs.size(), " outputs");
  NoGradGuard no_grad;
  std::unordered_map<FunctionNode*, Tensor> pending;
  std::vector<FunctionNode*> roots;
  for (size_t i = 0; i < outputs.size(); ++i) {
    const Tensor& out = outputs[i];
    EMBER_CHECK(out.defined() && out.requires_grad(), "backward", "output ", i,
                " does not require grad and has no grad_fn");
    Tensor grad = initial_gradient(out, gradients.empty() ? Tensor() : gradients[i]);
    if (!out.impl()->grad_fn) {
      accumulate_into_leaf(*out.impl(), grad);
      continue;
    }
    auto* node = static_cast<FunctionNode*>(out.impl()->grad_fn.get());
    Tensor& slot = pending[node];
    slot = slot.defined() ? slot + grad : grad;
    roots.push_back(node);
  }
  for (FunctionNode* node : nodes_in_reverse_order(roots)) {
    auto found = pending.find(node);
    if (found == pending.end()) continue;
    Tensor grad = std::move(found->second);
    pending.erase(found);
    EMBER_CHECK(!node->released(), "backward",
                "trying to backward through the graph a second time (through ", node->name(),
                "); its saved values were freed. Pass retain_graph=true to the first backward");
    autograd::Grads input_grads = node->apply(grad);
    // Dropped before the gradients move on, so that a leaf's gradient that is a view of
    // this one (a transpose's) owns its storage and is kept without a copy.
    grad = Tensor();
    if (!retain_graph) node->release();
    const auto& edges = node->inputs();
    for (size_t i = 0; i < edges.size() && i < input_grads.size(); ++i) {
      if (!input_grads[i].defined()) continue;
      if (edges[i].node) {
        Tensor& slot = pending[edges[i].node.get()];
        slot = slot.defined() ? slot + input_grads[i] : std::move(input_grads[i]);
      } else if (edges[i].leaf) {
        accumulate_into_leaf(*edges[i].leaf, std::move(input_grads[i]));
      }
    }
  }
}

void Tensor::backward(const Tensor& gradient, bool retain_graph) const {
  ember::backward({*this},
                  gradient.defined() ? std::vector<Tensor>{gradient} : std::vector<Tensor>{},
                  retain_graph);
}

}  // namespace ember
