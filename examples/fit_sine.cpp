// A small network built by hand: a two-layer perceptron learns y = sin(3x) on [-1, 1]
// with plain gradient descent, then prints its first layer's gradient.
#include <ember/ember.h>

#include <cstdio>
#include <iostream>

namespace em = ember;

int main() {
  em::manual_seed(0);
  em::Device device = em::default_device();
  std::printf("device: %s\n", device.str().c_str());

  em::Tensor x = em::linspace(-1.0, 1.0, 256, em::kFloat32, device).unsqueeze(1);
  em::Tensor y = em::sin(x * 3.0f);

  const int64_t hidden = 32;
  em::Tensor w1 = (em::randn({1, hidden}, em::kFloat32, device) * 1.0f).requires_grad_();
  em::Tensor b1 = em::zeros({hidden}, em::kFloat32, device).requires_grad_();
  em::Tensor w2 = (em::randn({hidden, 1}, em::kFloat32, device) * 0.2f).requires_grad_();
  em::Tensor b2 = em::zeros({1}, em::kFloat32, device).requires_grad_();
  std::vector<em::Tensor> params{w1, b1, w2, b2};

  const float lr = 0.1f;
  for (int step = 0; step <= 2000; ++step) {
    em::Tensor h = em::tanh(em::matmul(x, w1) + b1);
    em::Tensor prediction = em::matmul(h, w2) + b2;
    em::Tensor loss = ((prediction - y) * (prediction - y)).mean();
    for (em::Tensor& p : params) p.set_grad(em::Tensor());
    loss.backward();
    if (step % 250 == 0) std::printf("step %4d  loss %.6f\n", step, loss.item<float>());
    if (step == 2000) break;
    em::NoGradGuard no_grad;
    for (em::Tensor& p : params) p.sub_(p.grad() * lr);
  }
  std::cout << "gradient of the first layer's weights:\n" << w1.grad() << "\n";
  return 0;
}
