// Trains a 784-512-512-10 perceptron on Fashion-MNIST (Debian's dataset-fashion-mnist)
// on the best device present, reports test accuracy after each epoch and saves the model.
#include <ember/ember.h>

#include <cstdio>

namespace em = ember;
namespace F = em::nn::functional;

int main() {
  em::manual_seed(0);
  em::Device dev = em::default_device();
  em::nn::Sequential model(em::nn::Flatten(), em::nn::Linear(784, 512), em::nn::ReLU(),
                           em::nn::Linear(512, 512), em::nn::ReLU(), em::nn::Linear(512, 10));
  model.to(dev);
  em::optim::AdamW opt(model.parameters(), {.lr = 1e-3, .weight_decay = 0.01});
  em::data::FashionMNIST train(em::data::Split::Train), test(em::data::Split::Test);
  em::data::DataLoader loader(train, {.batch_size = 128, .shuffle = true, .seed = 0});

  for (int epoch = 1; epoch <= 2; ++epoch) {
    model.train();
    for (const em::data::Batch& batch : loader) {
      em::Tensor loss = F::cross_entropy(model(batch.input.to(dev)), batch.target.to(dev));
      opt.zero_grad();
      loss.backward();
      opt.step();
    }
    em::NoGradGuard no_grad;
    model.eval();
    int64_t correct = 0;
    for (const em::data::Batch& batch : em::data::DataLoader(test, {.batch_size = 1000})) {
      em::Tensor predicted = em::argmax(model(batch.input.to(dev)), 1);
      correct += (predicted == batch.target.to(dev)).sum().item<int64_t>();
    }
    std::printf("epoch %d: test accuracy %.4f\n", epoch, correct / double(test.size()));
  }
  em::io::save_safetensors("mlp.safetensors", model.state_dict());
  return 0;
}
