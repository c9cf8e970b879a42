// The `ember` command's option parsing: the input, split at NUL and newline bytes, is argv
// after the program name. It is parsed with the real option definitions; the chosen
// command is not run. CLI11's errors (a bad flag, --help) and ember::Error are expected
// outcomes; anything else escaping is a finding. A saved input whose first line is
// "#refuse <hash>" (expected_refusal.h) must end in ember::Error or a CLI11 error that exits
// non-zero: the target aborts if the rest parses, or only asks for help.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "ember/error.h"
#include "expected_refusal.h"
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
  ember::fuzz::Input checked = ember::fuzz::with_expectation(data, size);
  std::vector<std::string> arguments = split_arguments(checked.data, checked.size);
  std::vector<char*> argv{const_cast<char*>("ember")};
  for (std::string& argument : arguments) argv.push_back(argument.data());
  ember::cli::CommandLine line;
  std::unique_ptr<CLI::App> app = ember::cli::make_app(line);
  bool refused = false;
  try {
    app->parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::Error& e) {
    refused = e.get_exit_code() != 0;
  } catch (const ember::Error&) {
    refused = true;
  }
  if (checked.must_be_refused && !refused) ember::fuzz::accepted_what_must_be_refused("fuzz_cli");
  return 0;
}
