// The command line of `ember`: the CLI11 app that parses argv into the subcommands'
// options, apart from running them, so that parsing alone can be tested and fuzzed.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>

#include "commands.h"

namespace ember::cli {

enum class Command { None, Train, Eval, Devices, BenchTrain };

struct CommandLine {
  Command command = Command::None;
  TrainOptions train;
  EvalOptions eval;
  BenchTrainOptions bench_train;
};

// The app whose parse() fills line (which must outlive it) and names the chosen command;
// CLI::Error on a bad command line, as CLI11 raises it.
std::unique_ptr<CLI::App> make_app(CommandLine& line);

// Runs the command that parsing chose.
void run(const CommandLine& line);

}  // namespace ember::cli
