#include <ember/ember.h>

#include <cstdio>

int main() {
  ember::Tensor w = ember::from_vector(std::vector<float>{1, 2, 3, 4}, {2, 2});
  w.requires_grad_(true);
  ember::Tensor y = ember::matmul(w, w).sum();
  y.backward();
  std::vector<float> g = w.grad().to_vector<float>();
  // d/dW sum(W @ W) = 1 W^T + W^T 1 for the all-ones matrix 1.
  bool ok = y.item<float>() == 54.0f && g == std::vector<float>{7, 11, 9, 13};
  std::printf("%s\n", ok ? "ok" : "wrong");
  return ok ? 0 : 1;
}
