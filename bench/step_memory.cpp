// The memory of one MLP training step (`ember train --model mlp`'s network, AdamW, batch
// 128) as ember::memory_stats reports it, printed as one JSON line:
//   step_memory [device]      e.g. step_memory vulkan:0
// "persistent" is what the model, its gradients and the optimizer keep between steps;
// "peak" is the most allocated at once during the second step (gradients are set to none
// by zero_grad, so they count only once they are made again).
#include <ember/ember.h>

#include <cstdio>

namespace em = ember;

namespace {

void train_step(em::nn::Module& model, em::optim::Optimizer& optimizer, const em::Tensor& x,
                const em::Tensor& target) {
  optimizer.zero_grad();
  em::Tensor loss = em::nn::functional::cross_entropy(model(x), target);
  loss.backward();
  optimizer.step();
}

}  // namespace

int main(int argc, char** argv) {
  em::Device device = argc > 1 ? em::Device(argv[1]) : em::kCPU;
  em::manual_seed(0);
  em::nn::Sequential model(em::nn::Linear(784, 512), em::nn::ReLU(), em::nn::Linear(512, 512),
                           em::nn::ReLU(), em::nn::Linear(512, 10));
  model.to(device);
  em::optim::AdamW optimizer(model.parameters(), {.lr = 1e-3});
  em::Tensor x = em::randn({128, 784}, em::kFloat32, device);
  em::Tensor target = em::randint(0, 10, {128}, em::kInt64, device);

  train_step(model, optimizer, x, target);  // creates the optimizer's state
  em::synchronize(device);
  size_t persistent = em::memory_stats(device).allocated;
  em::reset_peak_memory(device);
  train_step(model, optimizer, x, target);
  em::synchronize(device);
  size_t peak = em::memory_stats(device).peak;
  std::printf("{\"device\": \"%s\", \"persistent_bytes\": %zu, \"peak_bytes\": %zu}\n",
              device.str().c_str(), persistent, peak);
  return 0;
}
