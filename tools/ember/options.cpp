#include "options.h"

#include "option_limits.h"
#include "precision.h"

namespace ember::cli {

namespace {

// CLI11's own Range prints its bounds with std::to_string (1e300 as 301 digits) and lets
// "-1" wrap into an unsigned option: these check the text before CLI11 converts it, and
// hand CLI11 the canonical spelling of the value they accepted.
CLI::Validator integer_in(const IntegerLimit& limit) {
  return CLI::Validator(
      [limit](std::string& text) {
        int64_t value = 0;
        std::string problem = parse_integer(text, limit, value);
        if (problem.empty()) text = std::to_string(value);
        return problem;
      },
      "", "INTEGER");
}

CLI::Validator unsigned_integer() {
  return CLI::Validator(
      [](std::string& text) {
        uint64_t value = 0;
        std::string problem = parse_unsigned(text, value);
        if (problem.empty()) text = std::to_string(value);
        return problem;
      },
      "", "UNSIGNED");
}

CLI::Validator learning_rate() {
  return CLI::Validator(
      [](std::string& text) {
        double value = 0;
        std::string problem = parse_lr(text, value);
        if (problem.empty()) {
          char exact[40];
          std::snprintf(exact, sizeof exact, "%.17g", value);
          text = exact;
        }
        return problem;
      },
      "", "LR");
}

std::string with_limit(const std::string& what, const char* limit) {
  return what + " (" + limit + ")";
}

// The options train and bench train share.
void add_model_options(CLI::App* command, std::string& model, std::string& optimizer,
                       std::string& device, std::string& precision, int64_t& batch_size) {
  command->add_option("--model", model, "model: mlp or linear")->capture_default_str();
  command->add_option("--optimizer", optimizer, "sgd, adam or adamw")
      ->capture_default_str()
      ->check(CLI::IsMember({"sgd", "adam", "adamw"}));
  command->add_option("--device", device, "auto, cpu, vulkan or vulkan:N")->capture_default_str();
  command
      ->add_option("--precision", precision,
                   "fp32; bf16 or fp16: forward and loss under autocast (fp16 with loss scaling)")
      ->capture_default_str()
      ->check(CLI::IsMember(precision_names()));
  command->add_option("--batch-size", batch_size, with_limit("batch size", kBatchSizeLimit.text))
      ->capture_default_str()
      ->check(integer_in(kBatchSizeLimit));
}

void add_train(CLI::App& app, CommandLine& line) {
  TrainOptions& o = line.train;
  CLI::App* train = app.add_subcommand("train", "train a model and report its test accuracy");
  add_model_options(train, o.model, o.optimizer, o.device, o.precision, o.batch_size);
  train->add_option("--dataset", o.dataset, "dataset")->capture_default_str();
  train->add_option("--data-root", o.data_root, "dataset directory")->capture_default_str();
  train->add_option("--epochs", o.epochs, with_limit("epochs", kEpochsLimit.text))
      ->capture_default_str()
      ->check(integer_in(kEpochsLimit));
  train->add_option("--lr", o.lr, std::string("learning rate in ") + kLrLimitText)
      ->capture_default_str()
      ->check(learning_rate());
  train->add_option("--seed", o.seed, with_limit("random seed", kUnsignedLimitText))
      ->capture_default_str()
      ->check(unsigned_integer());
  train->add_option("--save", o.save, "write a checkpoint here after each epoch");
  train->add_option("--resume", o.resume, "continue from this checkpoint")
      ->check(CLI::ExistingFile);
  train->add_option("--plot", o.plot, "write loss and accuracy curves to this SVG file");
  train
      ->add_option("--train-samples", o.train_samples,
                   with_limit("use the first N training examples", kSamplesLimit.text))
      ->check(integer_in(kSamplesLimit));
  train
      ->add_option("--test-samples", o.test_samples,
                   with_limit("use the first N test examples", kSamplesLimit.text))
      ->check(integer_in(kSamplesLimit));
  train->callback([&line, train] {
    line.command = Command::Train;
    line.train.seed_given = train->count("--seed") > 0;
    line.train.batch_size_given = train->count("--batch-size") > 0;
    line.train.precision_given = train->count("--precision") > 0;
  });
}

void add_eval(CLI::App& app, CommandLine& line) {
  EvalOptions& o = line.eval;
  CLI::App* eval = app.add_subcommand("eval", "report a checkpoint's test accuracy");
  eval->add_option("--checkpoint", o.checkpoint, "checkpoint file")
      ->required()
      ->check(CLI::ExistingFile);
  eval->add_option("--data-root", o.data_root, "dataset directory")->capture_default_str();
  eval->add_option("--device", o.device, "auto, cpu, vulkan or vulkan:N")->capture_default_str();
  eval->callback([&line] { line.command = Command::Eval; });
}

void add_bench(CLI::App& app, CommandLine& line) {
  BenchTrainOptions& o = line.bench_train;
  CLI::App* bench = app.add_subcommand("bench", "measure throughput");
  bench->require_subcommand(1);
  CLI::App* train = bench->add_subcommand("train", "median training samples/s");
  add_model_options(train, o.model, o.optimizer, o.device, o.precision, o.batch_size);
  train->add_option("--warmup", o.warmup, with_limit("untimed steps first", kWarmupLimit.text))
      ->capture_default_str()
      ->check(integer_in(kWarmupLimit));
  train->add_option("--steps", o.steps, with_limit("timed steps", kStepsLimit.text))
      ->capture_default_str()
      ->check(integer_in(kStepsLimit));
  train->callback([&line] { line.command = Command::BenchTrain; });
}

}  // namespace

std::unique_ptr<CLI::App> make_app(CommandLine& line) {
  auto app =
      std::make_unique<CLI::App>("ember: train neural networks on the CPU or any Vulkan GPU");
  app->require_subcommand(1);
  add_train(*app, line);
  add_eval(*app, line);
  add_bench(*app, line);
  app->add_subcommand("devices", "list the devices Ember can use")->callback([&line] {
    line.command = Command::Devices;
  });
  return app;
}

void run(const CommandLine& line) {
  switch (line.command) {
    case Command::Train:
      train(line.train);
      break;
    case Command::Eval:
      eval(line.eval);
      break;
    case Command::Devices:
      devices();
      break;
    case Command::BenchTrain:
      bench_train(line.bench_train);
      break;
    case Command::None:
      break;
  }
}

}  // namespace ember::cli
