#include "ember/data/idx.h"

#include <zlib.h>

#include <array>
#include <bit>
#include <cstring>

#include "core/check.h"
#include "core/tensor_impl.h"
#include "ember/ops.h"

namespace ember::data {

namespace {

constexpr const char* kOp = "read_idx";
// Larger files are not datasets this reader is meant for; the cap stops a corrupted
// header from asking for an absurd allocation.
constexpr uint64_t kMaxBytes = uint64_t{1} << 36;

struct IdxType {
  uint8_t code;
  size_t width;
  DType dtype;
};
constexpr IdxType kTypes[] = {{0x08, 1, kUInt8}, {0x09, 1, kInt32},   {0x0B, 2, kInt32},
                              {0x0C, 4, kInt32}, {0x0D, 4, kFloat32}, {0x0E, 8, kFloat64}};

class GzFile {
 public:
  explicit GzFile(const std::string& path) : path_(path), file_(gzopen(path.c_str(), "rb")) {
    EMBER_CHECK(file_ != nullptr, kOp, "cannot open ", path);
  }
  ~GzFile() { gzclose(file_); }
  GzFile(const GzFile&) = delete;
  GzFile& operator=(const GzFile&) = delete;

  // Reads exactly n bytes; what is missing is reported as truncation.
  void read(void* out, uint64_t n, const char* what) {
    auto* bytes = static_cast<char*>(out);
    while (n > 0) {
      unsigned chunk = static_cast<unsigned>(std::min<uint64_t>(n, 1u << 30));
      int got = gzread(file_, bytes, chunk);
      if (got < 0) {
        int code;
        detail::fail(kOp, path_, " is corrupted: ", gzerror(file_, &code));
      }
      EMBER_CHECK(got > 0, kOp, path_, " is truncated: it ends inside the ", what);
      bytes += got;
      n -= static_cast<uint64_t>(got);
    }
  }
  bool at_end() {
    char extra;
    return gzread(file_, &extra, 1) == 0;
  }

 private:
  std::string path_;
  gzFile file_;
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

}  // namespace

Tensor read_idx(const std::string& path) {
  GzFile file(path);
  std::array<uint8_t, 4> magic;
  file.read(magic.data(), magic.size(), "magic number");
  EMBER_CHECK(magic[0] == 0 && magic[1] == 0 && magic[3] > 0, kOp, path,
              " does not start with an IDX magic number");
  const IdxType& type = type_of(magic[2], path);
  Shape shape;
  uint64_t numel = 1;
  for (uint8_t d = 0; d < magic[3]; ++d) {
    uint8_t size[4];
    file.read(size, 4, "dimension sizes");
    shape.push_back(big_endian_u32(size));
    bool wrapped = __builtin_mul_overflow(numel, static_cast<uint64_t>(shape.back()), &numel);
    EMBER_CHECK(!wrapped && numel * type.width <= kMaxBytes, kOp, path,
                " declares a shape too large: ", shape, "...");
  }
  std::vector<uint8_t> raw(numel * type.width);
  file.read(raw.data(), raw.size(), "data");
  EMBER_CHECK(file.at_end(), kOp, path, " has bytes after the ", shape_string(shape), " values");
  Tensor out = empty(shape, type.dtype);
  decode(raw, type, out.impl()->data(), static_cast<int64_t>(numel));
  return out;
}

}  // namespace ember::data
