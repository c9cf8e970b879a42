// DESIGN.md §6, the public API by example, as written there: outside programs are compiled
// against it, so this file must keep compiling. It is built, not run (it trains a model).
#include <ember/ember.h>

namespace em = ember;

[[maybe_unused]] static void design_example() {
  em::manual_seed(0);
  em::Device dev = em::default_device();  // or em::Device("vulkan:0"), em::kCPU
  em::Tensor a = em::randn({64, 784}, em::kFloat32, dev);
  em::Tensor w = em::from_vector(std::vector<float>(784 * 10, 0.01f), {784, 10}).to(dev);
  w.requires_grad_(true);
  em::Tensor y = em::relu(em::matmul(a, w) + 1.0f).sum();
  y.backward();
  std::vector<float> g = w.grad().to_vector<float>();  // copies to host
  float v = y.item<float>();
  em::synchronize(dev);  // wait for queued GPU work

  auto t = a.reshape({64, 28, 28}).transpose(1, 2).slice(/*dim=*/1, 0, 14);
  auto s = em::softmax(t, /*dim=*/-1);
  auto m = t.mean({1, 2}, /*keepdim=*/true);
  { em::NoGradGuard no_grad; /* inference */ }

  em::nn::Sequential model(em::nn::Linear(784, 512), em::nn::ReLU(), em::nn::Linear(512, 10));
  model.to(dev);
  em::optim::AdamW opt(model.parameters(), {.lr = 1e-3, .weight_decay = 0.01});
  auto data = em::data::FashionMNIST(em::data::Split::Train);  // Debian's copy
  em::data::DataLoader loader(data, {.batch_size = 128, .shuffle = true, .seed = 0});
  for (auto& batch : loader) {
    auto logits = model(batch.input.to(dev).flatten(1));
    auto loss = em::nn::functional::cross_entropy(logits, batch.target.to(dev));
    opt.zero_grad();
    loss.backward();
    opt.step();
  }
  em::io::save_safetensors("model.safetensors", model.state_dict());
  model.load_state_dict(em::io::load_safetensors("model.safetensors"));
  (void)g, (void)v, (void)s, (void)m;
}

// §6.3 Mixed precision.
[[maybe_unused]] static void mixed_precision_example(em::nn::Sequential& model,
                                                     em::optim::Optimizer& opt, const em::Tensor& x,
                                                     const em::Tensor& target) {
  namespace F = em::nn::functional;
  em::Device dev = em::default_device();
  em::Tensor loss;
  {
    em::AutocastGuard autocast(dev, em::kBFloat16);  // matmul, conv, attention in bf16; losses,
    loss = F::cross_entropy(model(x), target);       // reductions, norms and softmax in float32
  }
  em::GradScaler scaler({.init_scale = 65536.0});  // float16: scale, skip steps that overflow
  scaler.scale(loss).backward();
  scaler.step(opt);
  scaler.update();
  double scale = scaler.get_scale();
  (void)scale;
}
