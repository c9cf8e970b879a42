#include "ember/data/idx.h"

#include <zlib.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <cstring>
#include <new>
#include <optional>

#include "core/check.h"
#include "core/excerpt.h"
#include "core/sizes.h"
#include "core/tensor_impl.h"
#include "ember/ops.h"

namespace ember::data {

namespace {

constexpr const char* kOp = "read_idx";
// Data arrives in chunks at least this large, each at most as large as all before it, so
// that a header which declares more than the file holds costs only what the file holds.
constexpr size_t kMinChunkBytes = size_t{1} << 16;
// gzread counts in unsigned int.
constexpr size_t kMaxChunkBytes = size_t{1} << 30;

struct IdxType {
  uint8_t code;
  size_t width;
  DType dtype;
};
constexpr IdxType kTypes[] = {{0x08, 1, kUInt8}, {0x09, 1, kInt32},   {0x0B, 2, kInt32},
                              {0x0C, 4, kInt32}, {0x0D, 4, kFloat32}, {0x0E, 8, kFloat64}};

// An IDX file, gzip-compressed or plain (zlib reads those as they are).
class GzFile {
 public:
  explicit GzFile(const std::string& path) : path_(path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    EMBER_CHECK(fd >= 0, kOp, "cannot open ", path, ": ", std::strerror(errno));
    struct stat info {};
    if (::fstat(fd, &info) == 0 && S_ISDIR(info.st_mode)) {
      ::close(fd);
      detail::fail(kOp, "cannot read ", path, ": it is a directory");
    }
    if (S_ISREG(info.st_mode)) regular_size_ = static_cast<uint64_t>(info.st_size);
    file_ = gzdopen(fd, "rb");
    if (file_ == nullptr) {
      ::close(fd);
      detail::fail(kOp, "cannot open ", path, ": no memory for zlib");
    }
  }
  ~GzFile() { gzclose(file_); }
  GzFile(const GzFile&) = delete;
  GzFile& operator=(const GzFile&) = delete;

  // Reads exactly n bytes; what is missing is reported as truncation.
  void read(void* out, size_t n, const char* what) {
    auto* bytes = static_cast<char*>(out);
    while (n > 0) {
      int got = gzread(file_, bytes, static_cast<unsigned>(std::min(n, kMaxChunkBytes)));
      if (got < 0) fail_corrupted();
      EMBER_CHECK(got > 0, kOp, path_, " is truncated: it ends inside the ", what);
      bytes += got;
      n -= static_cast<size_t>(got);
    }
  }

  // The n data bytes, read in growing chunks: the buffer never runs ahead of what arrived.
  std::vector<uint8_t> read_data(size_t n) {
    std::vector<uint8_t> raw;
    while (raw.size() < n) {
      size_t filled = raw.size();
      size_t chunk = std::min({n - filled, std::max(kMinChunkBytes, filled), kMaxChunkBytes});
      try {
        raw.resize(filled + chunk);
      } catch (const std::bad_alloc&) {
        detail::fail(kOp, path_, " declares ", n, " data bytes; no memory is left after ", filled);
      }
      read(raw.data() + filled, chunk, "data");
    }
    return raw;
  }

  // The bytes left in a plain regular file, which can be checked before any is read; none
  // for a compressed file or a pipe, whose length shows only by reading it.
  std::optional<uint64_t> plain_bytes_left() {
    if (!regular_size_ || gzdirect(file_) != 1) return std::nullopt;
    uint64_t position = static_cast<uint64_t>(gztell(file_));
    return *regular_size_ - std::min(position, *regular_size_);
  }

  // Reading past the values also checks the gzip trailer, whose CRC may be wrong.
  bool at_end() {
    char extra;
    int got = gzread(file_, &extra, 1);
    if (got < 0) fail_corrupted();
    return got == 0;
  }

 private:
  [[noreturn]] void fail_corrupted() {
    int code;
    std::string_view reason = gzerror(file_, &code);
    size_t source_end = reason.find(": ");  // zlib names the file "<fd:3>"
    if (source_end != std::string_view::npos) reason.remove_prefix(source_end + 2);
    detail::fail(kOp, path_, " is corrupted: ", excerpt(reason));
  }

  std::string path_;
  gzFile file_ = nullptr;
  std::optional<uint64_t> regular_size_;
};

uint32_t big_endian_u32(const uint8_t* bytes) {
  return uint32_t{bytes[0]} << 24 | uint32_t{bytes[1]} << 16 | uint32_t{bytes[2]} << 8 |
         uint32_t{bytes[3]};
}

const IdxType& type_of(uint8_t code, const std::string& path) {
  for (const IdxType& type : kTypes) {
    if (type.code == code) return type;
  }
  detail::fail(kOp, path, " has the unknown IDX type code 0x", std::hex, int{code});
}

// Widens big-endian values of one IDX type into the host values of its tensor dtype.
void decode(const std::vector<uint8_t>& raw, const IdxType& type, void* out, int64_t count) {
  if (raw.empty()) return;  // an empty tensor may have no storage to copy into
  if (type.code == 0x08) {  // images: the bulk of every MNIST-style dataset
    std::memcpy(out, raw.data(), raw.size());
    return;
  }
  auto value = [&](int64_t i) {
    uint64_t bits = 0;
    for (size_t b = 0; b < type.width; ++b) bits = bits << 8 | raw[i * type.width + b];
    return bits;
  };
  for (int64_t i = 0; i < count; ++i) {
    uint64_t bits = value(i);
    switch (type.code) {
      case 0x08:
        static_cast<uint8_t*>(out)[i] = static_cast<uint8_t>(bits);
        break;
      case 0x09:
        static_cast<int32_t*>(out)[i] = static_cast<int8_t>(bits);
        break;
      case 0x0B:
        static_cast<int32_t*>(out)[i] = static_cast<int16_t>(bits);
        break;
      case 0x0C:
        static_cast<int32_t*>(out)[i] = static_cast<int32_t>(bits);
        break;
      case 0x0D:
        static_cast<float*>(out)[i] = std::bit_cast<float>(static_cast<uint32_t>(bits));
        break;
      default:
        static_cast<double*>(out)[i] = std::bit_cast<double>(bits);
        break;
    }
  }
}

Shape read_shape(GzFile& file, uint8_t dims) {
  Shape shape;
  for (uint8_t d = 0; d < dims; ++d) {
    uint8_t size[4];
    file.read(size, 4, "dimension sizes");
    shape.push_back(big_endian_u32(size));
  }
  return shape;
}

// The element count of shape, refused when its tensor could not exist.
int64_t checked_element_count(const Shape& shape, const IdxType& type, const std::string& path) {
  try {
    int64_t numel = checked_numel(shape, kOp);
    checked_nbytes(numel, type.dtype, kOp);
    return numel;
  } catch (const Error&) {
    detail::fail(kOp, path,
                 " declares a shape too large for a tensor: ", excerpt(shape_string(shape)));
  }
}

Tensor allocate(const Shape& shape, DType dtype, const std::string& path) {
  try {
    return empty(shape, dtype);
  } catch (const Error& e) {
    detail::fail(kOp, path, ": ", e.what());
  }
}

}  // namespace

Tensor read_idx(const std::string& path) {
  GzFile file(path);
  std::array<uint8_t, 4> magic;
  file.read(magic.data(), magic.size(), "magic number");
  EMBER_CHECK(magic[0] == 0 && magic[1] == 0 && magic[3] > 0, kOp, path,
              " does not start with an IDX magic number");
  const IdxType& type = type_of(magic[2], path);
  Shape shape = read_shape(file, magic[3]);
  int64_t numel = checked_element_count(shape, type, path);
  // No stored value is wider than the tensor element it becomes, so this product fits.
  size_t data_bytes = static_cast<size_t>(numel) * type.width;
  if (std::optional<uint64_t> left = file.plain_bytes_left()) {
    EMBER_CHECK(*left >= data_bytes, kOp, path, " is truncated: its header declares ", data_bytes,
                " data bytes but ", *left, " follow it");
    EMBER_CHECK(*left == data_bytes, kOp, path, " has bytes after the ",
                excerpt(shape_string(shape)), " values");
  }
  std::vector<uint8_t> raw = file.read_data(data_bytes);
  EMBER_CHECK(file.at_end(), kOp, path, " has bytes after the ", excerpt(shape_string(shape)),
              " values");
  Tensor out = allocate(shape, type.dtype, path);
  decode(raw, type, out.impl()->data(), numel);
  return out;
}

}  // namespace ember::data
