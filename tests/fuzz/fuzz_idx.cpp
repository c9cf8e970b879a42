// libFuzzer target: the IDX reader, plain and gzip-compressed. The first input byte chooses
// (its lowest bit) whether the rest is written to the file as it is or gzip-compressed.
#include <unistd.h>
#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "ember/data/idx.h"
#include "ember/ember.h"

namespace {

// A directory of this process's own, removed with its file when the process exits.
class ScratchFile {
 public:
  ScratchFile()
      : directory_(std::filesystem::temp_directory_path() /
                   ("ember_fuzz_idx_" + std::to_string(::getpid()))),
        path_((directory_ / "input.idx").string()) {
    std::filesystem::create_directories(directory_);
  }
  ~ScratchFile() {
    std::error_code ignored;
    std::filesystem::remove_all(directory_, ignored);
  }
  ScratchFile(const ScratchFile&) = delete;
  ScratchFile& operator=(const ScratchFile&) = delete;

  const std::string& write(const char* bytes, size_t size, bool compressed) const {
    if (compressed) {
      gzFile gz = gzopen(path_.c_str(), "wb");
      if (size > 0) gzwrite(gz, bytes, static_cast<unsigned>(size));
      gzclose(gz);
    } else {
      std::ofstream(path_, std::ios::binary | std::ios::trunc)
          .write(bytes, static_cast<std::streamsize>(size));
    }
    return path_;
  }
  void remove() const { std::remove(path_.c_str()); }

 private:
  std::filesystem::path directory_;
  std::string path_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const ScratchFile scratch;
  const std::string& file =
      scratch.write(reinterpret_cast<const char*>(data) + 1, size - 1, (data[0] & 1) != 0);
  try {
    ember::Tensor values = ember::data::read_idx(file);
    if (values.numel() > 0) values.to(ember::kFloat64).sum().item<double>();
  } catch (const ember::Error&) {
    // A refused file is an expected outcome; anything else escapes as a finding.
  }
  scratch.remove();
  return 0;
}
