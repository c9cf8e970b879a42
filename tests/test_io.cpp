// safetensors: round trips of every dtype, the byte layout of the specification, files
// written and read by an independent numpy reader, and bad files that must not load.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "ember/ember.h"
#include "test_util.h"

namespace ember {
namespace {

namespace fs = std::filesystem;
using test::expect_error;

class SafetensorsTest : public test::TestDirectory {
 protected:
  static std::string read_bytes(const std::string& file) {
    std::ifstream in(file, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
  static void write_bytes(const std::string& file, const std::string& bytes) {
    std::ofstream(file, std::ios::binary) << bytes;
  }
  // A file holding one F32 tensor of shape [2] described by the given header JSON.
  void write_with_header(const std::string& file, const std::string& header,
                         size_t data_bytes = 8) {
    uint64_t length = header.size();
    std::string bytes(reinterpret_cast<const char*>(&length), 8);
    write_bytes(file, bytes + header + std::string(data_bytes, '\x01'));
  }
  size_t files_in_dir() const {
    return static_cast<size_t>(std::distance(fs::directory_iterator(dir_), {}));
  }
};

TensorDict sample_tensors() {
  return {
      {"f32", test::random_tensor({3, 4}, kFloat32, 1)},
      {"f64", test::random_tensor({5}, kFloat64, 2)},
      {"f16", test::random_tensor({2, 2}, kFloat16, 3)},
      {"bf16", test::random_tensor({3}, kBFloat16, 4)},
      {"i32", from_vector(std::vector<int32_t>{-7, 0, 2147483647})},
      {"i64", from_vector(std::vector<int64_t>{-(int64_t{1} << 50), 3})},
      {"u8", from_vector(std::vector<uint8_t>{0, 17, 255})},
      {"flag", from_vector(std::vector<bool>{true, false, true})},
      {"scalar", scalar_tensor(2.5, kFloat32)},
      {"empty", zeros({0, 3})},
      {"layer.transposed", test::random_tensor({4, 3}, kFloat32, 5).transpose(0, 1)},
  };
}

TEST_F(SafetensorsTest, EveryDtypeRoundTripsExactly) {
  TensorDict saved = sample_tensors();
  io::save_safetensors(path("all.safetensors"), saved);
  TensorDict loaded = io::load_safetensors(path("all.safetensors"));
  ASSERT_EQ(loaded.size(), saved.size());
  for (const auto& [name, tensor] : saved) {
    SCOPED_TRACE(name);
    ASSERT_TRUE(loaded.count(name));
    const Tensor& back = loaded.at(name);
    EXPECT_EQ(back.dtype(), tensor.dtype());
    EXPECT_EQ(back.shape(), tensor.shape());
    EXPECT_EQ(back.to_vector<double>(), tensor.to_vector<double>());
  }
}

TEST_F(SafetensorsTest, ManyTensorsWithEmptyOnesRoundTrip) {
  TensorDict saved;
  for (int i = 0; i < 40; ++i) {
    char name[16];  // not "t" + std::to_string(i): g++ 12 warns falsely (-Wrestrict) on it
    std::snprintf(name, sizeof name, "t%d", i);
    saved[name] = i % 3 == 0 ? zeros({0}) : full({2}, i);
  }
  io::save_safetensors(path("many.safetensors"), saved);
  TensorDict loaded = io::load_safetensors(path("many.safetensors"));
  ASSERT_EQ(loaded.size(), saved.size());
  for (const auto& [name, tensor] : saved) {
    EXPECT_EQ(loaded.at(name).to_vector<double>(), tensor.to_vector<double>()) << name;
  }
}

TEST_F(SafetensorsTest, MetadataRoundTrips) {
  io::Metadata metadata{{"epoch", "3"}, {"format", "pt"}};
  io::save_safetensors(path("m.safetensors"), {{"w", ones({2})}}, metadata);
  EXPECT_EQ(io::load_safetensors_metadata(path("m.safetensors")), metadata);
}

TEST_F(SafetensorsTest, LayoutFollowsTheSpecification) {
  Tensor w = test::random_tensor({2, 3}, kFloat32, 7);
  io::save_safetensors(path("w.safetensors"), {{"w", w}, {"b", ones({2}, kInt64)}});
  std::string bytes = read_bytes(path("w.safetensors"));
  uint64_t length;
  std::memcpy(&length, bytes.data(), 8);
  EXPECT_EQ(length % 8, 0u);
  auto header = nlohmann::json::parse(bytes.substr(8, length));
  EXPECT_EQ(header["w"]["dtype"], "F32");
  EXPECT_EQ(header["w"]["shape"], nlohmann::json({2, 3}));
  EXPECT_EQ(header["b"]["dtype"], "I64");
  auto offsets = header["w"]["data_offsets"].get<std::vector<uint64_t>>();
  ASSERT_EQ(offsets[1] - offsets[0], 24u);
  std::vector<float> raw(6);
  std::memcpy(raw.data(), bytes.data() + 8 + length + offsets[0], 24);
  EXPECT_EQ(raw, w.to_vector<float>());
  EXPECT_EQ(bytes.size(), 8 + length + 24 + 16);
}

#ifdef EMBER_TEST_PYTHON
std::string run_python(const std::string& args) {
  std::string command =
      std::string(EMBER_TEST_PYTHON) + " " + EMBER_TEST_SCRIPTS + "/safetensors_numpy.py " + args;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return "";
  std::string out;
  char buffer[4096];
  while (size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) out.append(buffer, n);
  EXPECT_EQ(::pclose(pipe), 0) << command;
  return out;
}

TEST_F(SafetensorsTest, NumpyReadsWhatEmberWrites) {
  TensorDict saved = sample_tensors();
  saved.erase("bf16");  // numpy has no bfloat16
  io::save_safetensors(path("e.safetensors"), saved, {{"writer", "ember"}});
  auto read = nlohmann::json::parse(run_python("read " + path("e.safetensors")));
  EXPECT_EQ(read["__metadata__"]["writer"], "ember");
  for (const auto& [name, tensor] : saved) {
    SCOPED_TRACE(name);
    EXPECT_EQ(read[name]["shape"].get<Shape>(), tensor.shape());
    EXPECT_EQ(read[name]["values"].get<std::vector<double>>(), tensor.to_vector<double>());
  }
}

TEST_F(SafetensorsTest, EmberReadsWhatNumpyWrites) {
  run_python("write " + path("n.safetensors"));
  TensorDict loaded = io::load_safetensors(path("n.safetensors"));
  ASSERT_EQ(loaded.size(), 3u);
  EXPECT_EQ(loaded.at("weight").shape(), (Shape{2, 3}));
  EXPECT_EQ(loaded.at("weight").to_vector<float>(), (std::vector<float>{-1, -0.5, 0, 0.5, 1, 1.5}));
  EXPECT_EQ(loaded.at("steps").dtype(), kInt64);
  EXPECT_EQ(loaded.at("steps").to_vector<int64_t>(),
            (std::vector<int64_t>{-3, 7, int64_t{1} << 40}));
  EXPECT_EQ(loaded.at("half").dtype(), kFloat16);
  EXPECT_EQ(loaded.at("half").to_vector<float>(), (std::vector<float>{1.5f, -2.25f}));
  EXPECT_EQ(io::load_safetensors_metadata(path("n.safetensors")).at("writer"), "numpy");
}
#endif

TEST_F(SafetensorsTest, TruncatedFileIsRefused) {
  io::save_safetensors(path("t.safetensors"), {{"w", test::random_tensor({16})}});
  std::string bytes = read_bytes(path("t.safetensors"));
  write_bytes(path("t.safetensors"), bytes.substr(0, bytes.size() - 5));
  expect_error([&] { io::load_safetensors(path("t.safetensors")); }, "load_safetensors",
               "truncated");
  write_bytes(path("t.safetensors"), bytes.substr(0, 20));
  expect_error([&] { io::load_safetensors(path("t.safetensors")); }, "load_safetensors",
               "header of");
  write_bytes(path("t.safetensors"), bytes.substr(0, 5));
  expect_error([&] { io::load_safetensors(path("t.safetensors")); }, "load_safetensors",
               "too short");
}

TEST_F(SafetensorsTest, MalformedHeadersAreRefused) {
  auto expect_refused = [&](const std::string& header, const std::string& needle) {
    write_with_header(path("bad.safetensors"), header);
    expect_error([&] { io::load_safetensors(path("bad.safetensors")); }, "load_safetensors",
                 needle);
  };
  expect_refused("{not json", "not JSON");
  expect_refused("[1, 2]", "not a JSON object");
  expect_refused(R"({"w": {"dtype": "I8", "shape": [2], "data_offsets": [0, 8]}})",
                 "unsupported dtype I8");
  expect_refused(R"({"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}})",
                 "does not hold");
  expect_refused(R"({"w": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}})", "bad size");
  expect_refused(R"({"w": {"dtype": "F32", "shape": [2]}})", "without dtype");
  expect_refused(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
                     "b": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}})",
                 "overlap");
  expect_refused(R"({"__metadata__": {"k": 1},
                     "w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}})",
                 "not a string");
}

TEST_F(SafetensorsTest, MissingFileIsReported) {
  expect_error([&] { io::load_safetensors(path("absent.safetensors")); }, "load_safetensors",
               "cannot open");
}

TEST_F(SafetensorsTest, FailedSaveLeavesTheOldFileAndNoLitter) {
  std::string file = path("keep.safetensors");
  io::save_safetensors(file, {{"w", ones({4})}});
  std::string before = read_bytes(file);
  expect_error(
      [&] {
        io::save_safetensors(file, {{"w", Tensor()}});
      },
      "save_safetensors", "undefined");
  expect_error(
      [&] {
        io::save_safetensors(file, {{"__metadata__", ones({1})}});
      },
      "save_safetensors", "invalid tensor name");
  EXPECT_EQ(read_bytes(file), before);
  EXPECT_EQ(files_in_dir(), 1u);
  expect_error(
      [&] {
        io::save_safetensors(path("no/such/dir/x.safetensors"), {{"w", ones({1})}});
      },
      "save_safetensors", "temporary file");
}

TEST_F(SafetensorsTest, SaveReplacesAnExistingFile) {
  std::string file = path("r.safetensors");
  io::save_safetensors(file, {{"w", ones({4})}});
  io::save_safetensors(file, {{"v", zeros({2}, kInt32)}});
  TensorDict loaded = io::load_safetensors(file);
  ASSERT_EQ(loaded.size(), 1u);
  EXPECT_EQ(loaded.at("v").to_vector<int32_t>(), (std::vector<int32_t>{0, 0}));
  EXPECT_EQ(files_in_dir(), 1u);
}

}  // namespace
}  // namespace ember
