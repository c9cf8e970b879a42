// `ember bench train`: the training throughput of one model on one device, on random
// data of Fashion-MNIST's shape, as the median of timed steps after a warm-up.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "models.h"
#include "precision.h"

namespace ember::cli {

namespace {
constexpr const char* kAllowCpu = "EMBER_VULKAN_ALLOW_CPU";
}  // namespace

void bench_train(const BenchTrainOptions& o) {
  if (o.batch_size < 1 || o.steps < 1 || o.warmup < 0) {
    throw Error("[bench] batch size and steps must be >= 1, warm-up >= 0");
  }
  Device device = o.device == "auto" ? default_device() : Device(o.device);
  manual_seed(0);
  std::shared_ptr<nn::Module> model = make_model(o.model);
  model->to(device);
  auto optimizer = make_optimizer(o.optimizer, model->parameters(), 1e-3);
  Precision precision(o.precision);
  GradScaler scaler = make_scaler(precision);
  Tensor input = randn({o.batch_size, 1, 28, 28}, kFloat32, device);
  Tensor target = randint(0, 10, {o.batch_size}, kInt64, device);
  auto step = [&] {
    train_step(*model, *optimizer, scaler, precision, device, input, target);
    synchronize(device);
  };
  for (int64_t i = 0; i < o.warmup; ++i) step();
  std::vector<double> seconds;
  for (int64_t i = 0; i < o.steps; ++i) {
    auto start = std::chrono::steady_clock::now();
    step();
    seconds.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::nth_element(seconds.begin(), seconds.begin() + seconds.size() / 2, seconds.end());
  double median = seconds[seconds.size() / 2];
  double rate = static_cast<double>(o.batch_size) / median;
  std::cout << o.model << " on " << device.str() << " in " << o.precision << ": median " << rate
            << " samples/s (" << median * 1e3 << " ms per step of " << o.batch_size << ")"
            << std::endl;
  nlohmann::json summary = {{"model", o.model},         {"device", device.str()},
                            {"precision", o.precision}, {"batch_size", o.batch_size},
                            {"steps", o.steps},         {"median_step_ms", median * 1e3},
                            {"samples_per_sec", rate}};
  std::cout << summary.dump() << std::endl;
}

namespace {

void print_device(const DeviceInfo& info) {
  std::cout << info.device.str() << ": " << info.name << " (" << info.kind << ")\n";
  for (const auto& [property, value] : info.details) {
    std::cout << "  " << property << ": " << value << "\n";
  }
}

// The Vulkan devices that only EMBER_VULKAN_ALLOW_CPU=1 shows (CPU implementations such as
// lavapipe): the backend reads the variable each time it lists devices.
std::vector<DeviceInfo> hidden_cpu_devices() {
  const char* allow = std::getenv(kAllowCpu);
  if (allow != nullptr && std::string(allow) == "1") return {};
  std::string saved = allow ? allow : "";
  ::setenv(kAllowCpu, "1", 1);
  std::vector<DeviceInfo> all = available_devices();
  if (allow) {
    ::setenv(kAllowCpu, saved.c_str(), 1);
  } else {
    ::unsetenv(kAllowCpu);
  }
  std::vector<DeviceInfo> hidden;
  for (DeviceInfo& info : all) {
    if (info.device.type() == DeviceType::Vulkan && info.kind == "cpu") {
      hidden.push_back(std::move(info));
    }
  }
  return hidden;
}

}  // namespace

void devices() {
  std::vector<DeviceInfo> shown = available_devices();
  for (const DeviceInfo& info : shown) print_device(info);
  std::vector<DeviceInfo> hidden = hidden_cpu_devices();
  if (!hidden.empty()) {
    std::cout << "hidden: " << hidden.size() << " CPU-type Vulkan device(s) (";
    for (size_t i = 0; i < hidden.size(); ++i) std::cout << (i ? ", " : "") << hidden[i].name;
    std::cout << "); set " << kAllowCpu << "=1 to show and use them\n";
  }
  std::cout << std::flush;
}

}  // namespace ember::cli
