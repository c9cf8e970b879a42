// The safetensors format, as its specification gives it: u64 little-endian header size N,
// N bytes of JSON {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}},
// then the byte buffer that the offsets index, with no holes and no overlaps.
#include "ember/io/safetensors.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>

#include "core/check.h"
#include "core/excerpt.h"
#include "core/sizes.h"
#include "core/tensor_impl.h"
#include "ember/io/file.h"
#include "ember/ops.h"
#include "io/safetensors_bytes.h"

namespace ember::io {

static_assert(std::endian::native == std::endian::little,
              "safetensors data is little-endian; Ember writes host memory as it is");

namespace {

constexpr const char* kSave = "save_safetensors";
constexpr const char* kLoad = "load_safetensors";
// A loaded shape's sizes are counted as they are read, so that a list of millions of them is
// refused before it builds a tree, a shape and strides; saving refuses what could not load.
constexpr size_t kMaxDims = 64;
constexpr const char* kMetadataKey = "__metadata__";
// The specification caps the header to keep a hostile file from exhausting memory.
constexpr uint64_t kMaxHeaderBytes = 100'000'000;

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

// text after the first separator, or all of it when there is none.
std::string_view after_first(std::string_view text, std::string_view separator) {
  size_t at = text.find(separator);
  return at == std::string_view::npos ? text : text.substr(at + separator.size());
}

// What an nlohmann exception says, without its "[json.exception.type_error.316] " tag.
std::string_view reason_of(const nlohmann::json::exception& e) {
  return after_first(e.what(), "] ");
}

std::string_view bytes_of(const Tensor& host) {
  size_t nbytes = static_cast<size_t>(host.numel()) * itemsize(host.dtype());
  return {static_cast<const char*>(host.impl()->data()), nbytes};
}

std::string encode_header(const std::vector<std::pair<std::string, Tensor>>& tensors,
                          const Metadata& metadata) {
  nlohmann::json header = nlohmann::json::object();
  if (!metadata.empty()) header[kMetadataKey] = metadata;
  int64_t offset = 0;
  for (const auto& [name, host] : tensors) {
    int64_t end =
        checked_add(offset, static_cast<int64_t>(bytes_of(host).size()), kSave, "the data offsets");
    header[name] = {
        {"dtype", code_of(host.dtype())}, {"shape", host.shape()}, {"data_offsets", {offset, end}}};
    offset = end;
  }
  std::string text = header.dump();
  // Padding with spaces keeps the byte buffer 8-byte aligned, as the specification allows.
  text.resize(checked_round_up(text.size(), 8, kSave), ' ');
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
    EMBER_CHECK(!name.empty() && name != kMetadataKey, kSave, "invalid tensor name '",
                excerpt(name), "'");
    EMBER_CHECK(tensor.defined(), kSave, "tensor '", excerpt(name), "' is undefined");
    EMBER_CHECK(tensor.dim() <= static_cast<int64_t>(kMaxDims), kSave, "tensor '", excerpt(name),
                "' has ", tensor.dim(), " dims; a safetensors file may give at most ", kMaxDims);
    host.emplace_back(name, tensor.detach().to(kCPU).contiguous());
  }
  std::string header;
  try {
    header = encode_header(host, metadata);
  } catch (const nlohmann::json::exception& e) {
    detail::fail(kSave, "cannot encode the header of ", path, ": ", excerpt(reason_of(e)),
                 " (tensor names and metadata must be UTF-8)");
  }
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

// The header object, an entry object in it, and the entry's shape or offsets list.
constexpr int kMaxNesting = 3;

// Parses the header, refusing while it reads any nesting deeper than the format's, so that
// no input reaches work or recursion sized by its depth, and any key that an object holds
// twice, so that no tensor hides behind another of the same name.
nlohmann::json parse_json(std::string_view text, const std::string& path) {
  using Event = nlohmann::json::parse_event_t;
  int depth = 0;
  size_t innermost_length = 0;
  std::vector<std::set<std::string>> keys_of_open_objects;
  auto guard = [&](int, Event event, nlohmann::json& parsed) {
    switch (event) {
      case Event::object_start:
        keys_of_open_objects.emplace_back();
        [[fallthrough]];
      case Event::array_start:
        ++depth;
        EMBER_CHECK(depth <= kMaxNesting, kLoad, path, " has a header nested deeper than the ",
                    kMaxNesting, " levels of the safetensors format");
        innermost_length = 0;
        break;
      case Event::object_end:
        keys_of_open_objects.pop_back();
        [[fallthrough]];
      case Event::array_end:
        --depth;
        break;
      case Event::key: {
        const auto& key = parsed.get_ref<const std::string&>();
        EMBER_CHECK(keys_of_open_objects.back().insert(key).second, kLoad, path,
                    " has a header that gives the key '", excerpt(key), "' twice");
        break;
      }
      case Event::value:
        if (depth == kMaxNesting) {
          EMBER_CHECK(++innermost_length <= kMaxDims, kLoad, path, " has a shape with more than ",
                      kMaxDims, " dims (the most a safetensors file may give)");
        }
        break;
    }
    return true;
  };
  try {
    return nlohmann::json::parse(text, guard);
  } catch (const nlohmann::json::parse_error& e) {
    std::string_view reason = after_first(reason_of(e), ": ");  // past its line and column
    detail::fail(kLoad, path, " has a header that is not JSON at byte ", e.byte, ": ",
                 excerpt(reason));
  } catch (const nlohmann::json::out_of_range& e) {  // a number past a double
    detail::fail(kLoad, path, " has a header that is not JSON: ", excerpt(reason_of(e)));
  }
}

// The parsed header, checked against the size of the byte buffer that follows it.
class Header {
 public:
  Header(const std::string& path, const std::string& file) : path_(path) {
    EMBER_CHECK(file.size() >= 8, kLoad, path, " is too short to be safetensors (", file.size(),
                " bytes)");
    uint64_t length;
    std::memcpy(&length, file.data(), 8);
    EMBER_CHECK(length <= file.size() - 8, kLoad, path, " has a header of ", length,
                " bytes but the file holds ", file.size() - 8, " after the length");
    EMBER_CHECK(length <= kMaxHeaderBytes, kLoad, path, " has a header of ", length,
                " bytes, more than the ", kMaxHeaderBytes, " the format allows");
    data_ = file.data() + 8 + length;
    data_size_ = file.size() - 8 - length;
    parse(std::string_view(file.data() + 8, length));
    check_coverage();
  }

  const std::vector<Entry>& entries() const { return entries_; }
  const Metadata& metadata() const { return metadata_; }
  const char* data() const { return data_; }

 private:
  void parse(std::string_view text) {
    nlohmann::json header = parse_json(text, path_);
    EMBER_CHECK(header.is_object(), kLoad, path_, " has a header that is not a JSON object");
    for (const auto& [name, value] : header.items()) {
      if (name == kMetadataKey) {
        parse_metadata(value);
      } else {
        entries_.push_back(parse_entry(name, value));
      }
    }
  }

  void parse_metadata(const nlohmann::json& value) {
    EMBER_CHECK(value.is_object(), kLoad, path_, " has a __metadata__ that is not an object");
    for (const auto& [key, text] : value.items()) {
      EMBER_CHECK(text.is_string(), kLoad, path_, " has a __metadata__ value for '", excerpt(key),
                  "' that is not a string");
      metadata_[key] = text.get<std::string>();
    }
  }

  Entry parse_entry(const std::string& name, const nlohmann::json& value) const {
    EMBER_CHECK(value.is_object() && value.contains("dtype") && value.contains("shape") &&
                    value.contains("data_offsets"),
                kLoad, path_, " has an entry '", excerpt(name),
                "' without dtype, shape and data_offsets");
    const nlohmann::json& code = value.at("dtype");
    EMBER_CHECK(code.is_string(), kLoad, path_, " gives tensor '", excerpt(name),
                "' a dtype that is not a string");
    std::optional<DType> dtype = dtype_of_code(code.get_ref<const std::string&>());
    EMBER_CHECK(dtype.has_value(), kLoad, path_, " gives tensor '", excerpt(name),
                "' the unsupported dtype ", excerpt(code.get_ref<const std::string&>()));
    Entry entry{name, *dtype, parse_shape(name, value.at("shape")), 0, 0};
    const nlohmann::json& offsets = value.at("data_offsets");
    EMBER_CHECK(offsets.is_array() && offsets.size() == 2 && offsets[0].is_number_unsigned() &&
                    offsets[1].is_number_unsigned(),
                kLoad, path_, " gives tensor '", excerpt(name),
                "' data_offsets that are not two unsigned integers");
    entry.begin = offsets[0].get<uint64_t>();
    entry.end = offsets[1].get<uint64_t>();
    EMBER_CHECK(entry.begin <= entry.end, kLoad, path_, " gives tensor '", excerpt(name),
                "' the byte range [", entry.begin, ", ", entry.end,
                "), which ends before it begins");
    EMBER_CHECK(entry.end <= data_size_, kLoad, path_, " gives tensor '", excerpt(name),
                "' the byte range [", entry.begin, ", ", entry.end, "), past the ", data_size_,
                " data bytes the file holds (truncated or corrupted)");
    size_t nbytes = nbytes_of(entry);
    EMBER_CHECK(entry.end - entry.begin == nbytes, kLoad, path_, " gives tensor '", excerpt(name),
                "' of shape ", excerpt(shape_string(entry.shape)), " and dtype ", entry.dtype,
                " the byte range [", entry.begin, ", ", entry.end, "), which does not hold its ",
                nbytes, " bytes");
    return entry;
  }

  Shape parse_shape(const std::string& name, const nlohmann::json& sizes) const {
    EMBER_CHECK(sizes.is_array(), kLoad, path_, " gives tensor '", excerpt(name),
                "' a shape that is not a list");
    Shape shape;
    shape.reserve(sizes.size());
    for (const nlohmann::json& size : sizes) {
      EMBER_CHECK(
          size.is_number_unsigned() && size.get<uint64_t>() <= static_cast<uint64_t>(INT64_MAX),
          kLoad, path_, " gives tensor '", excerpt(name), "' a bad size ", excerpt(size.dump()),
          " (sizes are integers from 0 to 2^63 - 1)");
      shape.push_back(size.get<int64_t>());
    }
    return shape;
  }

  size_t nbytes_of(const Entry& entry) const {
    try {
      return checked_nbytes(checked_numel(entry.shape, kLoad), entry.dtype, kLoad);
    } catch (const Error&) {
      detail::fail(kLoad, path_, " gives tensor '", excerpt(entry.name), "' the shape ",
                   excerpt(shape_string(entry.shape)), ", too large for a ", entry.dtype,
                   " tensor");
    }
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
      EMBER_CHECK(entry->begin == expected, kLoad, path_, " has tensor '", excerpt(entry->name),
                  "' at byte ", entry->begin, " where byte ", expected,
                  " was expected (overlap or hole)");
      expected = entry->end;
    }
    EMBER_CHECK(expected == data_size_, kLoad, path_, " holds ", data_size_,
                " data bytes but its header describes ", expected, " (truncated or corrupted)");
  }

  std::string path_;
  std::vector<Entry> entries_;
  Metadata metadata_;
  const char* data_ = nullptr;
  uint64_t data_size_ = 0;
};

// A BOOL byte other than 0 or 1 is no value of C++'s bool: reading it would be undefined.
void check_bool_bytes(const char* data, const Entry& entry, const std::string& path) {
  const char* end = data + (entry.end - entry.begin);
  const char* bad = std::find_if(data, end, [](char byte) { return byte != 0 && byte != 1; });
  EMBER_CHECK(bad == end, kLoad, path, ": BOOL tensor '", excerpt(entry.name), "' holds byte ",
              int{static_cast<uint8_t>(*bad)}, " at element ", bad - data,
              "; a bool is stored as 0 or 1");
}

// nlohmann's exceptions become ember::Error naming the file: no caller sees a JSON library.
template <typename Fn>
auto naming_json_errors(const char* op, const std::string& path, Fn&& read) {
  try {
    return read();
  } catch (const nlohmann::json::exception& e) {
    detail::fail(op, path, " has a malformed header: ", excerpt(reason_of(e)));
  }
}

}  // namespace

TensorDict parse_safetensors(const std::string& bytes, const std::string& name,
                             const Device& device) {
  return naming_json_errors(kLoad, name, [&] {
    Header header(name, bytes);
    TensorDict tensors;
    for (const Entry& entry : header.entries()) {
      if (entry.dtype == kBool) check_bool_bytes(header.data() + entry.begin, entry, name);
      Tensor host = from_data(header.data() + entry.begin, shape_numel(entry.shape), entry.dtype,
                              entry.shape);
      tensors.emplace(entry.name, host.to(device));
    }
    return tensors;
  });
}

TensorDict load_safetensors(const std::string& path, const Device& device) {
  return parse_safetensors(read_file(path, kLoad), path, device);
}

Metadata load_safetensors_metadata(const std::string& path) {
  std::string file = read_file(path, kLoad);
  return naming_json_errors(kLoad, path, [&] { return Header(path, file).metadata(); });
}

}  // namespace ember::io
