// `ember train` and `ember eval`: the training loop a reader can follow top to bottom.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <numeric>
#include <random>

#include "checkpoint.h"
#include "commands.h"
#include "models.h"
#include "precision.h"
#include "progress.h"

namespace ember::cli {

namespace F = nn::functional;

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// The first n examples of a dataset (all of them for n = 0).
class Head : public data::Dataset {
 public:
  Head(const data::Dataset& dataset, int64_t n)
      : dataset_(dataset), size_(n > 0 ? std::min(n, dataset.size()) : dataset.size()) {}
  int64_t size() const override { return size_; }
  data::Batch get_batch(const std::vector<int64_t>& indices) const override {
    return dataset_.get_batch(indices);
  }

 private:
  const data::Dataset& dataset_;
  int64_t size_;
};

Device resolve_device(const std::string& spec) {
  return spec == "auto" ? default_device() : Device(spec);
}

void check_dataset(const std::string& name) {
  if (name != "fashion-mnist") {
    throw Error("[train] unknown dataset '" + name + "'; known: fashion-mnist");
  }
}

double evaluate(nn::Module& model, const data::Dataset& test, const Device& device) {
  NoGradGuard no_grad;
  model.eval();
  data::DataLoader loader(test, {.batch_size = 1000});
  Tensor correct = zeros({}, kInt64, device);  // counted on the device, read once
  for (const data::Batch& batch : loader) {
    Tensor predicted = argmax(model(batch.input.to(device)), 1);
    correct = correct + sum(eq(predicted, batch.target.to(device)));
  }
  model.train();
  return static_cast<double>(correct.item<int64_t>()) / static_cast<double>(test.size());
}

std::string format_fixed(double value, int digits) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.*f", digits, value);
  return buffer;
}

// Steps between reads of the loss: each read waits for the device, so the GPU gets this
// many steps queued ahead of the host.
constexpr size_t kLossReadInterval = 16;

// A diverged run stops at the first read that shows it: its checkpoint would hold nothing
// worth resuming. Steps are counted from 1 within the epoch.
void check_finite_loss(double loss, int64_t step, int64_t epoch) {
  if (!std::isfinite(loss)) {
    std::string value = std::isnan(loss) ? "nan" : loss > 0 ? "inf" : "-inf";
    throw Error("[train] the training loss became " + value + " at step " + std::to_string(step) +
                " of epoch " + std::to_string(epoch) +
                "; training stopped (a lower --lr may help)");
  }
}

// One pass over the loader; returns the mean loss and appends each step's to history.
double train_epoch(nn::Module& model, optim::Optimizer& optimizer, GradScaler& scaler,
                   const Precision& precision, data::DataLoader& loader, const Device& device,
                   int64_t epoch, const std::string& label, History& history) {
  Progress progress(label, loader.size(), "samples");
  double total = 0;
  int64_t steps = 0, unread_samples = 0;
  std::vector<Tensor> unread;  // the losses of steps not yet read back
  auto read_losses = [&] {
    if (unread.empty()) return;
    for (double value : cat(unread).to_vector<double>()) {
      check_finite_loss(value, steps + 1, epoch);
      history.step_loss.push_back(value);
      total += value;
      ++steps;
    }
    progress.update(static_cast<int64_t>(unread.size()), unread_samples,
                    "loss " + format_fixed(total / static_cast<double>(steps), 4));
    unread.clear();
    unread_samples = 0;
  };
  for (const data::Batch& batch : loader) {
    Tensor loss = train_step(model, optimizer, scaler, precision, device, batch.input.to(device),
                             batch.target.to(device));
    unread.push_back(loss.detach().reshape({1}));
    unread_samples += batch.target.size(0);
    if (unread.size() == kLossReadInterval) read_losses();
  }
  read_losses();
  progress.finish();
  return steps > 0 ? total / static_cast<double>(steps) : 0;
}

// An output file must be writable before training starts, not after its first epoch: this
// creates and removes a file where io::write_file_atomically puts its temporary one.
void check_writable(const std::string& path, const char* flag) {
  if (path.empty()) return;
  std::filesystem::path target(path);
  std::filesystem::path directory = target.parent_path();
  if (!directory.empty() && !std::filesystem::is_directory(directory)) {
    throw Error(std::string("[train] ") + flag + " " + path + ": no directory " +
                directory.string());
  }
  if (std::filesystem::is_directory(target)) {
    throw Error(std::string("[train] ") + flag + " " + path + " is a directory, not a file");
  }
  std::string probe = path + ".tmp." + std::to_string(std::random_device()());
  int fd = ::open(probe.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0666);
  if (fd < 0) {
    throw Error(std::string("[train] ") + flag + " " + path +
                ": cannot create a file there: " + std::strerror(errno));
  }
  ::close(fd);
  std::remove(probe.c_str());
}

// An empty set would train no step and report an accuracy of NaN.
void check_not_empty(const data::Dataset& dataset, const char* split, const std::string& data_root,
                     const char* op) {
  if (dataset.size() == 0) {
    throw Error(std::string("[").append(op).append("] the ").append(split).append(" set in ") +
                data_root + " has no examples");
  }
}

}  // namespace

void train(const TrainOptions& o) {
  check_dataset(o.dataset);
  check_writable(o.save, "--save");
  check_writable(o.plot, "--plot");
  auto wall_start = Clock::now();
  Device device = resolve_device(o.device);
  auto [info, model, optimizer, scaler] = start_training(o, device);
  Precision precision(info.precision);
  data::FashionMNIST train_full(data::Split::Train, o.data_root);
  data::FashionMNIST test_full(data::Split::Test, o.data_root);
  Head train_set(train_full, o.train_samples), test_set(test_full, o.test_samples);
  check_not_empty(train_set, "training", o.data_root, "train");
  check_not_empty(test_set, "test", o.data_root, "train");
  data::DataLoader loader(train_set,
                          {.batch_size = info.batch_size, .shuffle = true, .seed = info.seed});
  if (!o.resume.empty()) {
    std::cout << "resumed from " << o.resume << " after epoch " << info.epochs_done << std::endl;
  }

  double train_seconds = 0;
  int64_t samples = 0;
  for (int64_t epoch = info.epochs_done; epoch < o.epochs; ++epoch) {
    loader.set_epoch(epoch);
    std::string label = "epoch " + std::to_string(epoch + 1) + "/" + std::to_string(o.epochs) +
                        " " + precision.name;
    auto start = Clock::now();
    double loss = train_epoch(*model, *optimizer, scaler, precision, loader, device, epoch + 1,
                              label, info.history);
    train_seconds += seconds_since(start);
    samples += train_set.size();
    double accuracy = evaluate(*model, test_set, device);
    info.history.epoch_loss.push_back(loss);
    info.history.test_accuracy.push_back(accuracy);
    info.epochs_done = epoch + 1;
    info.rng = get_rng_state();
    std::cout << label << "  train_loss " << format_fixed(loss, 4) << "  test_accuracy "
              << format_fixed(accuracy, 4) << "  " << format_rate(samples / train_seconds)
              << " samples/s" << std::endl;
    if (!o.save.empty()) save_checkpoint(o.save, *model, *optimizer, scaler, info);
  }
  if (!o.plot.empty()) {
    std::string svg = training_svg(
        info.history, o.model + " on " + o.dataset + ", " + o.optimizer + ", " + device.str());
    io::write_file_atomically(o.plot, {svg}, "plot");
  }
  nlohmann::json summary = {
      {"model", o.model},
      {"device", device.str()},
      {"precision", info.precision},
      {"epochs", info.epochs_done},
      {"optimizer", o.optimizer},
      {"batch_size", info.batch_size},
      {"lr", optimizer->lr()},
      {"train_loss", info.history.epoch_loss.empty() ? 0.0 : info.history.epoch_loss.back()},
      {"test_accuracy",
       info.history.test_accuracy.empty() ? 0.0 : info.history.test_accuracy.back()},
      {"samples_per_sec", train_seconds > 0 ? samples / train_seconds : 0.0},
      {"wall_seconds", seconds_since(wall_start)}};
  std::cout << summary.dump() << std::endl;
}

void eval(const EvalOptions& o) {
  Device device = resolve_device(o.device);
  CheckpointInfo info = read_checkpoint_info(o.checkpoint);
  std::shared_ptr<nn::Module> model = make_model(info.model);
  model->to(device);
  load_checkpoint(o.checkpoint, model.get(), nullptr, device);
  data::FashionMNIST test(data::Split::Test, o.data_root);
  check_not_empty(test, "test", o.data_root, "eval");
  double accuracy = evaluate(*model, test, device);
  std::cout << "test_accuracy " << format_fixed(accuracy, 4) << std::endl;
  nlohmann::json summary = {{"model", info.model},
                            {"device", device.str()},
                            {"epochs", info.epochs_done},
                            {"test_accuracy", accuracy}};
  std::cout << summary.dump() << std::endl;
}

}  // namespace ember::cli
