#include "models.h"

namespace ember::cli {

namespace {

// 784-512-512-10 with ReLU: the classic Fashion-MNIST baseline.
std::shared_ptr<nn::Module> mlp() {
  return std::make_shared<nn::Sequential>(nn::Flatten(), nn::Linear(784, 512), nn::ReLU(),
                                          nn::Linear(512, 512), nn::ReLU(), nn::Linear(512, 10));
}

// Multinomial logistic regression: a quick sanity model.
std::shared_ptr<nn::Module> linear() {
  return std::make_shared<nn::Sequential>(nn::Flatten(), nn::Linear(784, 10));
}

}  // namespace

std::vector<std::string> model_names() { return {"mlp", "linear"}; }

std::shared_ptr<nn::Module> make_model(const std::string& name) {
  if (name == "mlp") return mlp();
  if (name == "linear") return linear();
  throw Error("[model] unknown model '" + name + "'; known: mlp, linear");
}

std::vector<std::string> optimizer_names() { return {"sgd", "adam", "adamw"}; }

std::unique_ptr<optim::Optimizer> make_optimizer(const std::string& name,
                                                 const std::vector<Tensor>& params, double lr) {
  if (name == "sgd") return std::make_unique<optim::SGD>(params, optim::SGDOptions{lr, 0.9});
  if (name == "adam") return std::make_unique<optim::Adam>(params, optim::AdamOptions{lr});
  if (name == "adamw") return std::make_unique<optim::AdamW>(params, optim::AdamWOptions{lr});
  throw Error("[optimizer] unknown optimizer '" + name + "'; known: sgd, adam, adamw");
}

}  // namespace ember::cli
