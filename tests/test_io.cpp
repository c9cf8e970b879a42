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
  expect_refused(R"({"w": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}})",
                 "bad size -2");
  expect_refused(R"({"w": {"dtype": "F32", "shape": [2]}})", "without dtype");
  expect_refused(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
                     "b": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}})",
                 "overlap");
  expect_refused(R"({"__metadata__": {"k": 1},
                     "w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}})",
                 "not a string");
}

std::string nested_lists(size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

// The issue's defect: a shape of 100,000 nested lists overflowed the stack, and 10,000 printed
// a 20 KB line, although the message was needed only on failure.
TEST_F(SafetensorsTest, DeepNestingIsRefusedWithAShortMessage) {
  for (size_t depth : {size_t{4}, size_t{10'000}, size_t{100'000}, size_t{1'000'000}}) {
    SCOPED_TRACE(depth);
    std::string shape = nested_lists(depth);
    write_with_header(path("n.safetensors"), R"({"w": {"dtype": "F32", "shape": )" + shape +
                                                 R"(, "data_offsets": [0, 8]}})");
    try {
      io::load_safetensors(path("n.safetensors"));
      ADD_FAILURE() << "a nested shape loaded";
    } catch (const Error& e) {
      std::string message = e.what();
      EXPECT_EQ(message.rfind("[load_safetensors] " + path("n.safetensors") +
                                  " has a header nested deeper than the 3 levels",
                              0),
                0u)
          << message;
      EXPECT_LT(message.size(), 300u);
    }
  }
  auto expect_too_deep = [&](const std::string& header) {
    write_with_header(path("n.safetensors"), header);
    expect_error([&] { io::load_safetensors(path("n.safetensors")); }, "load_safetensors",
                 "nested deeper");
  };
  expect_too_deep(std::string(100'000, '['));  // unterminated: refused before the end is read
  expect_too_deep(R"({"__metadata__": {"k": )" + nested_lists(100'000) + "}}");
  std::string objects;
  for (int i = 0; i < 100'000; ++i) objects += R"({"a": )";
  expect_too_deep(objects + "1" + std::string(100'000, '}'));
}

// 50 million sizes in a header used to build ~800 MB of JSON tree, shape and strides.
TEST_F(SafetensorsTest, ShapesOfMoreThan64DimsAreRefusedWhileParsing) {
  std::string ones_64 = "1";
  for (int i = 1; i < 64; ++i) ones_64 += ",1";
  write_with_header(
      path("d.safetensors"),
      R"({"w": {"dtype": "F32", "shape": [)" + ones_64 + R"(], "data_offsets": [0, 4]}})", 4);
  EXPECT_EQ(io::load_safetensors(path("d.safetensors")).at("w").dim(), 64);
  std::string zeros = "0";
  for (int i = 0; i < 5'000'000; ++i) zeros += ",0";
  for (const std::string& sizes : {ones_64 + ",1", zeros}) {
    write_with_header(
        path("d.safetensors"),
        R"({"w": {"dtype": "F32", "shape": [)" + sizes + R"(], "data_offsets": [0, 4]}})", 4);
    expect_error([&] { io::load_safetensors(path("d.safetensors")); }, "load_safetensors",
                 "has a shape with more than 64 dims");
  }
  expect_error(
      [&] {
        io::save_safetensors(path("e.safetensors"), {{"w", ones(Shape(65, 1))}});
      },
      "save_safetensors", "tensor 'w' has 65 dims; a safetensors file may give at most 64");
  EXPECT_FALSE(fs::exists(path("e.safetensors")));
}

TEST_F(SafetensorsTest, MessagesQuoteAtMostAHundredCharactersOfTheFile) {
  std::string long_name(10'000, 'n');
  std::string long_dtype(10'000, 'D');
  auto message_of = [&](const std::string& header) {
    write_with_header(path("q.safetensors"), header);
    try {
      io::load_safetensors(path("q.safetensors"));
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("loaded");
  };
  std::vector<std::string> messages = {
      message_of(R"({")" + long_name +
                 R"(": {"dtype": "I8", "shape": [2], "data_offsets": [0, 8]}})"),
      message_of(R"({"w": {"dtype": ")" + long_dtype +
                 R"(", "shape": [2], "data_offsets": [0, 8]}})"),
      message_of(R"({"w": {"dtype": "F32", "shape": [")" + long_dtype +
                 R"("], "data_offsets": [0, 8]}})"),
      message_of(R"({"w": {"dtype": "F32", "shape": [)" + std::string(5'000, '1') +
                 R"(], "data_offsets": [0, 8]}})"),
      message_of(R"({"w": {"dtype": "F32", "shape": [")" + std::string(5'000, 'a') + "\x01"),
      message_of(R"({"w": "not an entry", "w": "again"})"),
      message_of(R"({")" + long_name + R"(": 1, ")" + long_name + R"(": 2})"),
  };
  for (const std::string& message : messages) {
    EXPECT_EQ(message.rfind("[load_safetensors] " + path("q.safetensors"), 0), 0u) << message;
    EXPECT_LT(message.size(), path("q.safetensors").size() + 250) << message;
  }
  // Built by appending: g++ 12 warns falsely (-Wrestrict) on "literal" + std::string.
  std::string name_excerpt(100, 'n');
  std::string dtype_excerpt(100, 'D');
  std::string size_excerpt(1, '"');
  size_excerpt.append(99, 'D');
  EXPECT_NE(messages[0].find(name_excerpt.append("...'")), std::string::npos);
  EXPECT_NE(messages[1].find(dtype_excerpt.append("...")), std::string::npos);
  EXPECT_NE(messages[2].find(size_excerpt.append("...")), std::string::npos);
  EXPECT_NE(messages[3].find("number overflow parsing '111"), std::string::npos) << messages[3];
  EXPECT_NE(
      messages[4].find("not JSON at byte 5035: syntax error while parsing value - invalid string"),
      std::string::npos)
      << messages[4];
  EXPECT_NE(messages[5].find("gives the key 'w' twice"), std::string::npos) << messages[5];
  EXPECT_NE(messages[6].find("twice"), std::string::npos) << messages[6];
}

TEST_F(SafetensorsTest, HeaderLengthBeyondTheFileIsRefusedBeforeAllocating) {
  for (uint64_t length : {uint64_t{9}, uint64_t{100'000'001}, uint64_t{1} << 63, ~uint64_t{0}}) {
    SCOPED_TRACE(length);
    std::string bytes(reinterpret_cast<const char*>(&length), 8);
    write_bytes(path("h.safetensors"), bytes + "{}");
    expect_error([&] { io::load_safetensors(path("h.safetensors")); }, "load_safetensors",
                 "has a header of " + std::to_string(length) + " bytes but the file holds 2");
  }
}

TEST_F(SafetensorsTest, ByteRangesMustTileTheDataExactly) {
  auto expect_refused = [&](const std::string& entries, const std::string& needle,
                            size_t data_bytes = 8) {
    write_with_header(path("r.safetensors"), "{" + entries + "}", data_bytes);
    expect_error([&] { io::load_safetensors(path("r.safetensors")); }, "load_safetensors", needle);
  };
  expect_refused(R"("w": {"dtype": "F32", "shape": [2], "data_offsets": [8, 0]})",
                 "the byte range [8, 0), which ends before it begins");
  expect_refused(R"("w": {"dtype": "F32", "shape": [2], "data_offsets": [8, 16]})",
                 "the byte range [8, 16), past the 8 data bytes the file holds (truncated");
  expect_refused(R"("w": {"dtype": "F32", "shape": [2],
                          "data_offsets": [18446744073709551608, 0]})",
                 "ends before it begins");
  expect_refused(R"("w": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]})",
                 "at byte 4 where byte 0 was expected");
  expect_refused(R"("w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]})",
                 "holds 8 data bytes but its header describes 4");
  expect_refused(R"("a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                    "b": {"dtype": "U8", "shape": [4], "data_offsets": [4, 8]})",
                 "overlap");
  expect_refused(R"("w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8.0]})",
                 "not two unsigned integers");
  expect_refused(R"("w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8, 8]})",
                 "not two unsigned integers");
  expect_refused(R"("w": {"dtype": "F32", "shape": [2], "data_offsets": [-1, 8]})",
                 "not two unsigned integers");
}

TEST_F(SafetensorsTest, BoolBytesOtherThanZeroOrOneAreRefused) {
  const std::string header = R"({"flag": {"dtype": "BOOL", "shape": [4], "data_offsets": [0, 4]}})";
  uint64_t length = header.size();
  std::string prefix = std::string(reinterpret_cast<const char*>(&length), 8) + header;
  write_bytes(path("b.safetensors"), prefix + std::string("\x01\x00\x01\x00", 4));
  EXPECT_EQ(io::load_safetensors(path("b.safetensors")).at("flag").to_vector<bool>(),
            (std::vector<bool>{true, false, true, false}));
  write_bytes(path("b.safetensors"), prefix + std::string("\x01\x00\x44\x00", 4));
  expect_error([&] { io::load_safetensors(path("b.safetensors")); }, "load_safetensors",
               "BOOL tensor 'flag' holds byte 68 at element 2; a bool is stored as 0 or 1");
}

TEST_F(SafetensorsTest, ShapesMustBeNonNegativeIntegersWhoseBytesMatchTheRange) {
  auto expect_refused = [&](const std::string& shape, const std::string& needle) {
    write_with_header(path("s.safetensors"), R"({"w": {"dtype": "F32", "shape": )" + shape +
                                                 R"(, "data_offsets": [0, 8]}})");
    expect_error([&] { io::load_safetensors(path("s.safetensors")); }, "load_safetensors", needle);
  };
  expect_refused("[-2]", "a bad size -2");
  expect_refused("[2.0]", "a bad size 2.0");
  expect_refused(R"(["2"])", "a bad size \"2\"");
  expect_refused("[null]", "a bad size null");
  expect_refused("[9223372036854775808]", "a bad size 9223372036854775808");
  expect_refused("[1e400]", "not JSON: number overflow parsing '1e400'");
  expect_refused("{}", "a shape that is not a list");
  // The empty-data cases: a shape whose byte count must be 0 to match the range [0, 0).
  auto write_empty = [&](const std::string& shape) {
    write_with_header(
        path("s.safetensors"),
        R"({"w": {"dtype": "F32", "shape": )" + shape + R"(, "data_offsets": [0, 0]}})", 0);
  };
  auto expect_empty_refused = [&](const std::string& shape, const std::string& needle) {
    write_empty(shape);
    expect_error([&] { io::load_safetensors(path("s.safetensors")); }, "load_safetensors", needle);
  };
  // 2^32 * 2^32 elements wrap to 0 in 64 bits, which the 0 bytes of [0, 0) would match.
  expect_empty_refused("[4294967296, 4294967296]",
                       "the shape [4294967296,4294967296], too large for a float32 tensor");
  // 2^61 float32 elements are 2^63 bytes, which wraps int64 but not the element count.
  expect_empty_refused("[2305843009213693952]", "too large for a float32 tensor");
  // A zero-size dim empties the tensor, but the other sizes must still have strides.
  expect_empty_refused("[0, 4294967296, 4294967296]", "too large");
  write_empty("[0, 1073741824, 1073741824]");
  Tensor empty_one = io::load_safetensors(path("s.safetensors")).at("w");
  EXPECT_EQ(empty_one.shape(), (Shape{0, int64_t{1} << 30, int64_t{1} << 30}));
  EXPECT_EQ(empty_one.numel(), 0);
}

TEST_F(SafetensorsTest, RepeatedNamesAndKeysAreRefused) {
  auto expect_refused = [&](const std::string& header, const std::string& needle) {
    write_with_header(path("d.safetensors"), header);
    expect_error([&] { io::load_safetensors(path("d.safetensors")); }, "load_safetensors", needle);
  };
  // The JSON library keeps the last of two equal keys: the first tensor would vanish.
  expect_refused(R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
                     "w": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}})",
                 "gives the key 'w' twice");
  expect_refused(R"({"w": {"dtype": "I8", "dtype": "F32", "shape": [2], "data_offsets": [0, 8]}})",
                 "gives the key 'dtype' twice");
  expect_refused(R"({"__metadata__": {"a": "1"}, "__metadata__": {"a": "2"},
                     "w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}})",
                 "gives the key '__metadata__' twice");
  expect_refused(R"({"__metadata__": {"a": "1", "a": "2"},
                     "w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}})",
                 "gives the key 'a' twice");
}

TEST_F(SafetensorsTest, MetadataOfWrongTypesIsRefused) {
  const std::string tensor = R"("w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]})";
  for (const char* metadata : {R"([])", R"("text")", R"(1)", R"(null)"}) {
    write_with_header(path("m.safetensors"),
                      std::string(R"({"__metadata__": )") + metadata + ", " + tensor + "}");
    expect_error([&] { io::load_safetensors_metadata(path("m.safetensors")); }, "load_safetensors",
                 "__metadata__ that is not an object");
  }
  for (const char* value : {R"({"x": "1"})", R"(["1"])", R"(true)", R"(null)", R"(2.5)"}) {
    write_with_header(path("m.safetensors"),
                      std::string(R"({"__metadata__": {"k": )") + value + "}, " + tensor + "}");
    expect_error([&] { io::load_safetensors(path("m.safetensors")); }, "load_safetensors",
                 "__metadata__ value for 'k' that is not a string");
  }
  for (const char* entry : {R"("text")", R"([1])", R"({"dtype": "F32", "shape": [2]})"}) {
    write_with_header(path("m.safetensors"), std::string(R"({"w": )") + entry + "}");
    expect_error([&] { io::load_safetensors(path("m.safetensors")); }, "load_safetensors",
                 "entry 'w' without dtype, shape and data_offsets");
  }
  write_with_header(path("m.safetensors"),
                    R"({"w": {"dtype": 32, "shape": [2], "data_offsets": [0, 8]}})");
  expect_error([&] { io::load_safetensors(path("m.safetensors")); }, "load_safetensors",
               "a dtype that is not a string");
}

// The issue's defect: nlohmann's type_error escaped from save_safetensors.
TEST_F(SafetensorsTest, NamesThatAreNotUtf8AreRefusedAndLeaveNoFile) {
  std::string file = path("u.safetensors");
  expect_error(
      [&] {
        io::save_safetensors(file, {{std::string("w\xff"), ones({2})}});
      },
      "save_safetensors", "cannot encode the header of " + file + ": invalid UTF-8 byte");
  expect_error(
      [&] {
        io::save_safetensors(file, {{"w", ones({2})}}, {{"k", std::string("\xc3\x28")}});
      },
      "save_safetensors", "must be UTF-8");
  EXPECT_EQ(files_in_dir(), 0u);
  io::save_safetensors(file, {{"w", ones({2})}});
  std::string before = read_bytes(file);
  expect_error(
      [&] {
        io::save_safetensors(file, {{std::string("\x80"), ones({2})}});
      },
      "save_safetensors", "UTF-8");
  EXPECT_EQ(read_bytes(file), before);
  EXPECT_EQ(files_in_dir(), 1u);
  TensorDict unicode{{"gewicht.\xc3\xa4", ones({2})}};
  io::save_safetensors(file, unicode);
  EXPECT_EQ(io::load_safetensors(file).count("gewicht.\xc3\xa4"), 1u);
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
