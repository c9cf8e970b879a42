#include "ember/io/file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "core/check.h"

namespace ember::io {

namespace {

// Closes and removes the temporary file unless released after a successful rename.
class TemporaryFile {
 public:
  // Mode 0666 under the process's umask, as any new file; a random suffix, retried on a
  // clash, keeps concurrent writers of one path apart.
  TemporaryFile(const std::string& target, const char* op) {
    std::random_device entropy;
    for (int attempt = 0; attempt < 16 && fd_ < 0; ++attempt) {
      name_ = target + ".tmp." + std::to_string(entropy());
      fd_ = ::open(name_.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0666);
      if (fd_ < 0 && errno != EEXIST) break;
    }
    if (fd_ < 0) {
      int error = errno;
      name_.clear();
      detail::fail(op, "cannot create a temporary file beside ", target, ": ",
                   std::strerror(error));
    }
  }
  ~TemporaryFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!name_.empty()) std::remove(name_.c_str());
  }
  TemporaryFile(const TemporaryFile&) = delete;
  TemporaryFile& operator=(const TemporaryFile&) = delete;

  int fd() const { return fd_; }
  const std::string& name() const { return name_; }
  int close() {
    int result = ::close(fd_);
    fd_ = -1;
    return result;
  }
  void release() { name_.clear(); }

 private:
  std::string name_;
  int fd_ = -1;
};

bool write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t written = ::write(fd, bytes.data(), bytes.size());
    if (written < 0 && errno == EINTR) continue;
    if (written == 0) errno = EIO;
    if (written <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(written));
  }
  return true;
}

// The rename itself is durable only once the directory that holds the name is flushed.
void sync_directory_of(const std::string& path) {
  std::string directory = std::filesystem::path(path).parent_path().string();
  int fd = ::open(directory.empty() ? "." : directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

void write_file_atomically(const std::string& path, const std::vector<std::string_view>& chunks,
                           const char* op) {
  TemporaryFile file(path, op);
  for (std::string_view chunk : chunks) {
    EMBER_CHECK(write_all(file.fd(), chunk), op, "cannot write ", path, ": ", std::strerror(errno));
  }
  EMBER_CHECK(::fsync(file.fd()) == 0, op, "cannot flush ", path, ": ", std::strerror(errno));
  EMBER_CHECK(file.close() == 0, op, "cannot close ", path, ": ", std::strerror(errno));
  EMBER_CHECK(std::rename(file.name().c_str(), path.c_str()) == 0, op, "cannot replace ", path,
              ": ", std::strerror(errno));
  file.release();
  sync_directory_of(path);
}

std::string read_file(const std::string& path, const char* op) {
  std::ifstream in(path, std::ios::binary);
  EMBER_CHECK(in.good(), op, "cannot open ", path, ": ", std::strerror(errno));
  std::ostringstream contents;
  contents << in.rdbuf();
  EMBER_CHECK(!in.bad(), op, "cannot read ", path);
  return std::move(contents).str();
}

}  // namespace ember::io
