// Layers, as torch.nn's, with PyTorch's default initialisations.
#pragma once

#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "ember/nn/module.h"

namespace ember::nn {

// y = x W^T + b; W and b uniform in +-1/sqrt(in_features), as PyTorch's kaiming-uniform.
class Linear : public Module {
 public:
  Linear(int64_t in_features, int64_t out_features, bool bias = true);
  Tensor forward(const Tensor& x) override;
  std::string describe() const override;

  Tensor weight;  // [out_features, in_features]
  Tensor bias;    // [out_features], or undefined

 private:
  int64_t in_features_, out_features_;
};

class ReLU : public Module {
 public:
  Tensor forward(const Tensor& x) override;
  std::string describe() const override { return "ReLU()"; }
};

class GELU : public Module {
 public:
  explicit GELU(std::string approximate = "none");
  Tensor forward(const Tensor& x) override;
  std::string describe() const override;

 private:
  std::string approximate_;
};

class SiLU : public Module {
 public:
  Tensor forward(const Tensor& x) override;
  std::string describe() const override { return "SiLU()"; }
};

class Tanh : public Module {
 public:
  Tensor forward(const Tensor& x) override;
  std::string describe() const override { return "Tanh()"; }
};

class Sigmoid : public Module {
 public:
  Tensor forward(const Tensor& x) override;
  std::string describe() const override { return "Sigmoid()"; }
};

// Active in training mode only.
class Dropout : public Module {
 public:
  explicit Dropout(double p = 0.5);
  Tensor forward(const Tensor& x) override;
  std::string describe() const override;

 private:
  double p_;
};

class Flatten : public Module {
 public:
  explicit Flatten(int64_t start_dim = 1, int64_t end_dim = -1);
  Tensor forward(const Tensor& x) override;
  std::string describe() const override;

 private:
  int64_t start_dim_, end_dim_;
};

// Normalises over the trailing normalized_shape dims; weight ones and bias zeros.
class LayerNorm : public Module {
 public:
  explicit LayerNorm(Shape normalized_shape, double eps = 1e-5, bool elementwise_affine = true);
  Tensor forward(const Tensor& x) override;
  std::string describe() const override;

  Tensor weight, bias;  // undefined without elementwise_affine

 private:
  Shape normalized_shape_;
  double eps_;
};

// A lookup table of num_embeddings rows of embedding_dim, initialised from N(0, 1).
class Embedding : public Module {
 public:
  Embedding(int64_t num_embeddings, int64_t embedding_dim);
  Tensor forward(const Tensor& indices) override;
  std::string describe() const override;

  Tensor weight;  // [num_embeddings, embedding_dim]
};

// Runs its modules in order; they are named "0", "1", ...
class Sequential : public Module {
 public:
  Sequential() = default;
  // Not a copy: a lone Sequential argument is copied, not nested.
  template <typename... Modules>
  requires(sizeof...(Modules) > 0 && (std::is_base_of_v<Module, std::decay_t<Modules>> && ...) &&
           !(sizeof...(Modules) == 1 && (std::is_same_v<std::decay_t<Modules>, Sequential> &&
                                         ...))) explicit Sequential(Modules&&... modules) {
    (push_back(std::make_shared<std::decay_t<Modules>>(std::forward<Modules>(modules))), ...);
  }

  void push_back(std::shared_ptr<Module> module);
  template <typename M>
  requires std::is_base_of_v<Module, std::decay_t<M>>
  void push_back(M&& module) {
    push_back(std::make_shared<std::decay_t<M>>(std::forward<M>(module)));
  }
  Tensor forward(const Tensor& x) override;
  std::string describe() const override { return "Sequential"; }
  size_t size() const { return layers_.size(); }
  Module& operator[](size_t index) const;

 private:
  std::vector<std::shared_ptr<Module>> layers_;
};

}  // namespace ember::nn
