// Resuming from a checkpoint: the input is a checkpoint file (safetensors with Ember's
// metadata). It goes through what `ember train --resume` does before its first step:
// reading and validating the metadata, building the model and optimizer it names and
// loading their states on the CPU. ember::Error is the expected outcome of a bad file;
// anything else escaping is a finding. A saved input whose first line is "#refuse <hash>"
// (expected_refusal.h) must end in ember::Error: the target aborts if the rest is accepted.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

#include "checkpoint.h"
#include "ember/ember.h"
#include "expected_refusal.h"

namespace {

// A directory of this process's own, removed at exit.
class ScratchDirectory {
 public:
  ScratchDirectory()
      : path_(std::filesystem::temp_directory_path() /
              ("ember-fuzz-checkpoint-" + std::to_string(::getpid()))) {
    std::filesystem::create_directories(path_);
  }
  ~ScratchDirectory() {
    std::error_code ignored;  // a destructor must not throw; a leftover directory is harmless
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDirectory(const ScratchDirectory&) = delete;
  ScratchDirectory& operator=(const ScratchDirectory&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// The input as a file, removed when the input is done.
class InputFile {
 public:
  InputFile(const uint8_t* data, size_t size) {
    static const ScratchDirectory directory;
    path_ = (directory.path() / "input.safetensors").string();
    std::ofstream out(path_, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  ~InputFile() {
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
  }
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ember::fuzz::Input checked = ember::fuzz::with_expectation(data, size);
  InputFile input(checked.data, checked.size);
  try {
    ember::cli::CheckpointInfo info = ember::cli::read_checkpoint_info(input.path());
    ember::cli::TrainOptions options;
    options.model = info.model;
    options.optimizer = info.optimizer;
    options.resume = input.path();
    ember::cli::start_training(options, ember::kCPU);
  } catch (const ember::Error&) {
    return 0;
  }
  if (checked.must_be_refused) ember::fuzz::accepted_what_must_be_refused("fuzz_checkpoint");
  return 0;
}
