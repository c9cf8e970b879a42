// ember: train, evaluate and benchmark models from the command line.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "commands.h"
#include "ember/ember.h"
#include "models.h"

namespace {

using namespace ember::cli;

const CLI::Range kPositive(int64_t{1}, int64_t{1} << 40);

// The options train and bench train share.
void add_model_options(CLI::App* command, std::string& model, std::string& optimizer,
                       std::string& device, int64_t& batch_size) {
  command->add_option("--model", model, "model: mlp or linear")->capture_default_str();
  command->add_option("--optimizer", optimizer, "sgd, adam or adamw")
      ->capture_default_str()
      ->check(CLI::IsMember({"sgd", "adam", "adamw"}));
  command->add_option("--device", device, "auto, cpu, vulkan or vulkan:N")->capture_default_str();
  command->add_option("--batch-size", batch_size, "batch size")
      ->capture_default_str()
      ->check(kPositive);
}

void add_train(CLI::App& app, TrainOptions& o) {
  CLI::App* train = app.add_subcommand("train", "train a model and report its test accuracy");
  add_model_options(train, o.model, o.optimizer, o.device, o.batch_size);
  train->add_option("--dataset", o.dataset, "dataset")->capture_default_str();
  train->add_option("--data-root", o.data_root, "dataset directory")->capture_default_str();
  train->add_option("--epochs", o.epochs, "epochs")->capture_default_str()->check(kPositive);
  train->add_option("--lr", o.lr, "learning rate")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1e300));
  train->add_option("--seed", o.seed, "random seed")->capture_default_str();
  train->add_option("--save", o.save, "write a checkpoint here after each epoch");
  train->add_option("--resume", o.resume, "continue from this checkpoint")
      ->check(CLI::ExistingFile);
  train->add_option("--plot", o.plot, "write loss and accuracy curves to this SVG file");
  train->add_option("--train-samples", o.train_samples,
                    "use the first N training examples (0: all)");
  train->add_option("--test-samples", o.test_samples, "use the first N test examples (0: all)");
  train->callback([&o, train] {
    o.seed_given = train->count("--seed") > 0;
    o.batch_size_given = train->count("--batch-size") > 0;
    ember::cli::train(o);
  });
}

void add_eval(CLI::App& app, EvalOptions& o) {
  CLI::App* eval = app.add_subcommand("eval", "report a checkpoint's test accuracy");
  eval->add_option("--checkpoint", o.checkpoint, "checkpoint file")
      ->required()
      ->check(CLI::ExistingFile);
  eval->add_option("--data-root", o.data_root, "dataset directory")->capture_default_str();
  eval->add_option("--device", o.device, "auto, cpu, vulkan or vulkan:N")->capture_default_str();
  eval->callback([&o] { ember::cli::eval(o); });
}

void add_bench(CLI::App& app, BenchTrainOptions& o) {
  CLI::App* bench = app.add_subcommand("bench", "measure throughput");
  bench->require_subcommand(1);
  CLI::App* train = bench->add_subcommand("train", "median training samples/s");
  add_model_options(train, o.model, o.optimizer, o.device, o.batch_size);
  train->add_option("--warmup", o.warmup, "untimed steps first")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 40));
  train->add_option("--steps", o.steps, "timed steps")->capture_default_str()->check(kPositive);
  train->callback([&o] { bench_train(o); });
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"ember: train neural networks on the CPU or any Vulkan GPU"};
  app.require_subcommand(1);
  TrainOptions train_options;
  EvalOptions eval_options;
  BenchTrainOptions bench_options;
  add_train(app, train_options);
  add_eval(app, eval_options);
  add_bench(app, bench_options);
  app.add_subcommand("devices", "list the devices Ember can use")->callback([] { devices(); });
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    if (::isatty(STDERR_FILENO) == 1) std::cerr << "\r\033[K";  // off a progress bar's line
    std::cerr << "ember: error: " << e.what() << std::endl;
    return 1;
  }
  return 0;
}
