#include "ember/nn/layers.h"

#include <cmath>

#include "core/check.h"
#include "ember/nn/functional.h"
#include "ember/nn/init.h"
#include "ember/ops.h"

namespace ember::nn {

namespace F = functional;

namespace {
std::string flag(bool value) { return value ? "True" : "False"; }
}  // namespace

Linear::Linear(int64_t in_features, int64_t out_features, bool with_bias)
    : in_features_(in_features), out_features_(out_features) {
  EMBER_CHECK(in_features > 0 && out_features > 0, "Linear",
              "feature counts must be positive, got ", in_features, " and ", out_features);
  Tensor w = empty({out_features, in_features});
  init::kaiming_uniform_(w, std::sqrt(5.0));
  weight = register_parameter("weight", w);
  if (with_bias) {
    double bound = 1.0 / std::sqrt(static_cast<double>(in_features));
    Tensor b = empty({out_features});
    init::uniform_(b, -bound, bound);
    bias = register_parameter("bias", b);
  }
}

Tensor Linear::forward(const Tensor& x) { return F::linear(x, weight, bias); }

std::string Linear::describe() const {
  return "Linear(in_features=" + std::to_string(in_features_) +
         ", out_features=" + std::to_string(out_features_) + ", bias=" + flag(bias.defined()) + ")";
}

Tensor ReLU::forward(const Tensor& x) { return relu(x); }
Tensor SiLU::forward(const Tensor& x) { return silu(x); }
Tensor Tanh::forward(const Tensor& x) { return tanh(x); }
Tensor Sigmoid::forward(const Tensor& x) { return sigmoid(x); }

GELU::GELU(std::string approximate) : approximate_(std::move(approximate)) {
  EMBER_CHECK(approximate_ == "none" || approximate_ == "tanh", "GELU",
              "approximate must be \"none\" or \"tanh\", got \"", approximate_, "\"");
}
Tensor GELU::forward(const Tensor& x) { return gelu(x, approximate_); }
std::string GELU::describe() const {
  return approximate_ == "none" ? "GELU(approximate='none')" : "GELU(approximate='tanh')";
}

Dropout::Dropout(double p) : p_(p) {
  EMBER_CHECK(p >= 0 && p <= 1, "Dropout", "probability must be in [0, 1], got ", p);
}
Tensor Dropout::forward(const Tensor& x) { return F::dropout(x, p_, is_training()); }
std::string Dropout::describe() const {
  std::ostringstream out;
  out << "Dropout(p=" << p_ << ")";
  return out.str();
}

Flatten::Flatten(int64_t start_dim, int64_t end_dim) : start_dim_(start_dim), end_dim_(end_dim) {}
Tensor Flatten::forward(const Tensor& x) { return x.flatten(start_dim_, end_dim_); }
std::string Flatten::describe() const {
  return "Flatten(start_dim=" + std::to_string(start_dim_) +
         ", end_dim=" + std::to_string(end_dim_) + ")";
}

LayerNorm::LayerNorm(Shape normalized_shape, double eps, bool elementwise_affine)
    : normalized_shape_(std::move(normalized_shape)), eps_(eps) {
  EMBER_CHECK(!normalized_shape_.empty(), "LayerNorm", "normalized_shape must not be empty");
  if (elementwise_affine) {
    weight = register_parameter("weight", ones(normalized_shape_));
    bias = register_parameter("bias", zeros(normalized_shape_));
  }
}
Tensor LayerNorm::forward(const Tensor& x) {
  return F::layer_norm(x, normalized_shape_, weight, bias, eps_);
}
std::string LayerNorm::describe() const {
  std::ostringstream out;
  out << "LayerNorm(" << shape_string(normalized_shape_) << ", eps=" << eps_
      << ", elementwise_affine=" << flag(weight.defined()) << ")";
  return out.str();
}

Embedding::Embedding(int64_t num_embeddings, int64_t embedding_dim) {
  EMBER_CHECK(num_embeddings > 0 && embedding_dim > 0, "Embedding", "sizes must be positive, got ",
              num_embeddings, " and ", embedding_dim);
  Tensor w = empty({num_embeddings, embedding_dim});
  init::normal_(w);
  weight = register_parameter("weight", w);
}
Tensor Embedding::forward(const Tensor& indices) { return embedding(weight, indices); }
std::string Embedding::describe() const {
  return "Embedding(" + std::to_string(weight.size(0)) + ", " + std::to_string(weight.size(1)) +
         ")";
}

void Sequential::push_back(std::shared_ptr<Module> module) {
  layers_.push_back(register_module(std::to_string(layers_.size()), std::move(module)));
}

Tensor Sequential::forward(const Tensor& x) {
  Tensor out = x;
  for (auto& layer : layers_) out = layer->forward(out);
  return out;
}

Module& Sequential::operator[](size_t index) const {
  EMBER_CHECK(index < layers_.size(), "Sequential", "index ", index, " out of range for ",
              layers_.size(), " modules");
  return *layers_[index];
}

}  // namespace ember::nn
