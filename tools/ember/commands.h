// The subcommands of `ember`. Each prints its result and, as its last line, one JSON
// object; each raises ember::Error on a bad argument, file or dataset.
#pragma once

#include <cstdint>
#include <string>

namespace ember::cli {

struct TrainOptions {
  std::string model = "mlp";
  std::string dataset = "fashion-mnist";
  std::string data_root = "/usr/share/datasets/fashion-mnist";
  int64_t epochs = 3;
  int64_t batch_size = 128;
  double lr = 1e-3;
  std::string optimizer = "adamw";
  std::string device = "auto";
  std::string precision = "fp32";  // fp32, bf16 or fp16 (precision.h)
  uint64_t seed = 0;
  // On the command line, for --resume.
  bool seed_given = false, batch_size_given = false, precision_given = false;
  std::string save, resume, plot;
  int64_t train_samples = 0;  // 0: the whole training set
  int64_t test_samples = 0;   // 0: the whole test set
};
void train(const TrainOptions& options);

struct EvalOptions {
  std::string checkpoint;
  std::string data_root = "/usr/share/datasets/fashion-mnist";
  std::string device = "auto";
};
void eval(const EvalOptions& options);

void devices();

struct BenchTrainOptions {
  std::string model = "mlp";
  std::string device = "auto";
  std::string optimizer = "adamw";
  std::string precision = "fp32";
  int64_t batch_size = 128;
  int64_t warmup = 10;
  int64_t steps = 50;
};
void bench_train(const BenchTrainOptions& options);

}  // namespace ember::cli
