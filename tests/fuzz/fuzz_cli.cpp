// The `ember` command's option parsing: the input, split at NUL and newline bytes, is argv
// after the program name. It is parsed with the real option definitions; the chosen
// command is not run. CLI11's errors (a bad flag, --help) and ember::Error are expected
// outcomes; anything else escaping is a finding.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "ember/error.h"
#include "options.h"

namespace {

std::vector<std::string> split_arguments(const uint8_t* data, size_t size) {
  std::vector<std::string> arguments(1);
  for (size_t i = 0; i < size; ++i) {
    char c = static_cast<char>(data[i]);
    if (c == '\0' || c == '\n') {
      arguments.emplace_back();
    } else {
      arguments.back() += c;
    }
  }
  return arguments;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> arguments = split_arguments(data, size);
  std::vector<char*> argv{const_cast<char*>("ember")};
  for (std::string& argument : arguments) argv.push_back(argument.data());
  ember::cli::CommandLine line;
  std::unique_ptr<CLI::App> app = ember::cli::make_app(line);
  try {
    app->parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::Error&) {
  } catch (const ember::Error&) {
  }
  return 0;
}
