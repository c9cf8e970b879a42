// The safetensors format, as its specification gives it: u64 little-endian header size N,
// N bytes of JSON {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}},
// then the byte buffer that the offsets index, with no holes and no overlaps.
#include "ember/io/safetensors.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <nlohmann/json.hpp>

#include "core/check.h"
#include "core/tensor_impl.h"
#include "ember/io/file.h"
#include "ember/ops.h"

namespace ember::io {

static_assert(std::endian::native == std::endian::little,
              "safetensors data is little-endian; Ember writes host memory as it is");

namespace {

constexpr const char* kSave = "save_safetensors";
constexpr const char* kLoad = "load_safetensors";
constexpr const char* kMetadataKey = "__metadata__";
// The specification caps the header to keep a hostile file from exhausting memory.
constexpr uint64_t kMaxHeaderBytes = 100'000'000;
constexpr uint64_t kMaxSize = uint64_t{1} << 48;

struct DTypeCode {
  DType dtype;
  const char* code;
};
constexpr DTypeCode kDTypeCodes[] = {
    {kFloat32, "F32"}, {kFloat64, "F64"}, {kFloat16, "F16"}, {kBFloat16, "BF16"},
    {kInt32, "I32"},   {kInt64, "I64"},   {kUInt8, "U8"},    {kBool, "BOOL"},
};

const char* code_of(DType dtype) {
  for (const DTypeCode& entry : kDTypeCodes) {
    if (entry.dtype == dtype) return entry.code;
  }
  detail::fail(kSave, "dtype ", dtype, " has no safetensors code");
}

std::optional<DType> dtype_of_code(const std::string& code) {
  for (const DTypeCode& entry : kDTypeCodes) {
    if (code == entry.code) return entry.dtype;
  }
  return std::nullopt;
}

std::string_view bytes_of(const Tensor& host) {
  size_t nbytes = static_cast<size_t>(host.numel()) * itemsize(host.dtype());
  return {static_cast<const char*>(host.impl()->data()), nbytes};
}

std::string encode_header(const std::vector<std::pair<std::string, Tensor>>& tensors,
                          const Metadata& metadata) {
  nlohmann::json header = nlohmann::json::object();
  if (!metadata.empty()) header[kMetadataKey] = metadata;
  uint64_t offset = 0;
  for (const auto& [name, host] : tensors) {
    uint64_t nbytes = bytes_of(host).size();
    header[name] = {{"dtype", code_of(host.dtype())},
                    {"shape", host.shape()},
                    {"data_offsets", {offset, offset + nbytes}}};
    offset += nbytes;
  }
  std::string text = header.dump();
  // Padding with spaces keeps the byte buffer 8-byte aligned, as the specification allows.
  text.resize((text.size() + 7) / 8 * 8, ' ');
  return text;
}

std::string little_endian_u64(uint64_t value) {
  std::string bytes(8, '\0');
  std::memcpy(bytes.data(), &value, 8);
  return bytes;
}

}  // namespace

void save_safetensors(const std::string& path, const TensorDict& tensors,
                      const Metadata& metadata) {
  std::vector<std::pair<std::string, Tensor>> host;
  for (const auto& [name, tensor] : tensors) {
    EMBER_CHECK(!name.empty() && name != kMetadataKey, kSave, "invalid tensor name '", name, "'");
    EMBER_CHECK(tensor.defined(), kSave, "tensor '", name, "' is undefined");
    host.emplace_back(name, tensor.detach().to(kCPU).contiguous());
  }
  std::string header = encode_header(host, metadata);
  std::string length = little_endian_u64(header.size());
  std::vector<std::string_view> chunks{length, header};
  for (const auto& entry : host) chunks.push_back(bytes_of(entry.second));
  write_file_atomically(path, chunks, kSave);
}

namespace {

struct Entry {
  std::string name;
  DType dtype;
  Shape shape;
  uint64_t begin, end;
};

// The parsed header, checked against the size of the byte buffer that follows it.
class Header {
 public:
  Header(const std::string& path, const std::string& file) : path_(path) {
    check(file.size() >= 8, "is too short to be safetensors (", file.size(), " bytes)");
    uint64_t length;
    std::memcpy(&length, file.data(), 8);
    check(length <= kMaxHeaderBytes && length <= file.size() - 8, "has a header of ", length,
          " bytes but the file holds ", file.size() - 8, " after the length");
    data_ = file.data() + 8 + length;
    data_size_ = file.size() - 8 - length;
    parse(std::string_view(file.data() + 8, length));
    check_coverage();
  }

  const std::vector<Entry>& entries() const { return entries_; }
  const Metadata& metadata() const { return metadata_; }
  const char* data() const { return data_; }

 private:
  template <typename... Args>
  void check(bool ok, const Args&... parts) const {
    EMBER_CHECK(ok, kLoad, path_, " ", parts...);
  }

  void parse(std::string_view text) {
    nlohmann::json header;
    try {
      header = nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {
      detail::fail(kLoad, path_, " has a header that is not JSON: ", e.what());
    }
    check(header.is_object(), "has a header that is not a JSON object");
    for (const auto& [name, value] : header.items()) {
      if (name == kMetadataKey) {
        parse_metadata(value);
      } else {
        entries_.push_back(parse_entry(name, value));
      }
    }
  }

  void parse_metadata(const nlohmann::json& value) {
    check(value.is_object(), "has a __metadata__ that is not an object");
    for (const auto& [key, text] : value.items()) {
      check(text.is_string(), "has a __metadata__ value for '", key, "' that is not a string");
      metadata_[key] = text.get<std::string>();
    }
  }

  Entry parse_entry(const std::string& name, const nlohmann::json& value) const {
    check(value.is_object() && value.contains("dtype") && value.contains("shape") &&
              value.contains("data_offsets"),
          "has an entry '", name, "' without dtype, shape and data_offsets");
    check(value["dtype"].is_string(), "gives tensor '", name, "' a dtype that is not a string");
    std::optional<DType> dtype = dtype_of_code(value["dtype"].get<std::string>());
    check(dtype.has_value(), "gives tensor '", name, "' the unsupported dtype ",
          value["dtype"].get<std::string>());
    Entry entry{name, *dtype, {}, 0, 0};
    check(value["shape"].is_array(), "gives tensor '", name, "' a shape that is not a list");
    uint64_t numel = 1;
    for (const auto& size : value["shape"]) {
      check(size.is_number_unsigned() && size.get<uint64_t>() <= kMaxSize, "gives tensor '", name,
            "' a bad size ", size.dump());
      entry.shape.push_back(size.get<int64_t>());
      check(!__builtin_mul_overflow(numel, size.get<uint64_t>(), &numel), "gives tensor '", name,
            "' a shape whose size overflows");
    }
    const auto& offsets = value["data_offsets"];
    check(offsets.is_array() && offsets.size() == 2 && offsets[0].is_number_unsigned() &&
              offsets[1].is_number_unsigned(),
          "gives tensor '", name, "' data_offsets that are not two unsigned integers");
    entry.begin = offsets[0].get<uint64_t>();
    entry.end = offsets[1].get<uint64_t>();
    uint64_t nbytes = 0;
    check(!__builtin_mul_overflow(numel, itemsize(entry.dtype), &nbytes), "gives tensor '", name,
          "' a shape whose size overflows");
    check(entry.begin <= entry.end && entry.end - entry.begin == nbytes, "gives tensor '", name,
          "' of shape ", entry.shape, " and dtype ", entry.dtype, " the byte range [", entry.begin,
          ", ", entry.end, "), which does not hold its ", nbytes, " bytes");
    return entry;
  }

  // Every byte of the buffer belongs to exactly one tensor: a truncated file fails here.
  void check_coverage() {
    std::vector<const Entry*> order;
    for (const Entry& entry : entries_) order.push_back(&entry);
    std::sort(order.begin(), order.end(), [](const Entry* a, const Entry* b) {
      return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
    });
    uint64_t expected = 0;
    for (const Entry* entry : order) {
      check(entry->begin == expected, "has tensor '", entry->name, "' at byte ", entry->begin,
            " where byte ", expected, " was expected (overlap or hole)");
      expected = entry->end;
    }
    check(expected == data_size_, "holds ", data_size_, " data bytes but its header describes ",
          expected, " (truncated or corrupted)");
  }

  std::string path_;
  std::vector<Entry> entries_;
  Metadata metadata_;
  const char* data_ = nullptr;
  uint64_t data_size_ = 0;
};

}  // namespace

TensorDict load_safetensors(const std::string& path, const Device& device) {
  std::string file = read_file(path, kLoad);
  Header header(path, file);
  TensorDict tensors;
  for (const Entry& entry : header.entries()) {
    Tensor host =
        from_data(header.data() + entry.begin, shape_numel(entry.shape), entry.dtype, entry.shape);
    tensors.emplace(entry.name, host.to(device));
  }
  return tensors;
}

Metadata load_safetensors_metadata(const std::string& path) {
  std::string file = read_file(path, kLoad);
  return Header(path, file).metadata();
}

}  // namespace ember::io
