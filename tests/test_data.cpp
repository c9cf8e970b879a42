// Data loading: the IDX reader on hand-made files (plain and gzip) and on Debian's
// Fashion-MNIST, and its refusal of bad files.
#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <optional>
#include <ranges>

#include "ember/data/dataset.h"
#include "ember/data/idx.h"
#include "ember/ember.h"
#include "test_util.h"

namespace ember {
namespace {

using test::expect_error;

const std::string kFashionMnist = "/usr/share/datasets/fashion-mnist";

std::string idx_header(uint8_t type, const std::vector<uint32_t>& dims) {
  std::string bytes{'\0', '\0', static_cast<char>(type), static_cast<char>(dims.size())};
  for (uint32_t d : dims) {
    for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(static_cast<char>(d >> shift));
  }
  return bytes;
}

class IdxTest : public test::TestDirectory {
 protected:
  std::string write(const std::string& name, const std::string& bytes) {
    std::string file = path(name);
    std::ofstream(file, std::ios::binary) << bytes;
    return file;
  }
  std::string write_gz(const std::string& name, const std::string& bytes) {
    std::string file = path(name);
    gzFile gz = gzopen(file.c_str(), "wb");
    gzwrite(gz, bytes.data(), static_cast<unsigned>(bytes.size()));
    gzclose(gz);
    return file;
  }
};

TEST_F(IdxTest, ReadsUnsignedBytesPlainAndCompressed) {
  std::string values{1, 2, 3, 4, 5, static_cast<char>(250)};
  std::string bytes = idx_header(0x08, {2, 3}) + values;
  for (const std::string& file : {write("a.idx", bytes), write_gz("a.idx.gz", bytes)}) {
    Tensor t = data::read_idx(file);
    EXPECT_EQ(t.dtype(), kUInt8);
    EXPECT_EQ(t.shape(), (Shape{2, 3}));
    EXPECT_EQ(t.to_vector<int64_t>(), (std::vector<int64_t>{1, 2, 3, 4, 5, 250}));
  }
}

TEST_F(IdxTest, ReadsBigEndianWiderTypes) {
  std::string ints = idx_header(0x0C, {2}) + std::string("\xff\xff\xff\xfe\x00\x01\x00\x00", 8);
  EXPECT_EQ(data::read_idx(write("i.idx", ints)).to_vector<int64_t>(),
            (std::vector<int64_t>{-2, 65536}));
  std::string shorts = idx_header(0x0B, {1}) + std::string("\x80\x00", 2);
  EXPECT_EQ(data::read_idx(write("s.idx", shorts)).to_vector<int64_t>(),
            (std::vector<int64_t>{-32768}));
  std::string floats = idx_header(0x0D, {1}) + std::string("\x3f\xc0\x00\x00", 4);
  Tensor f = data::read_idx(write("f.idx", floats));
  EXPECT_EQ(f.dtype(), kFloat32);
  EXPECT_EQ(f.to_vector<float>(), (std::vector<float>{1.5f}));
  std::string doubles = idx_header(0x0E, {1}) + std::string("\xc0\x04\x00\x00\x00\x00\x00\x00", 8);
  EXPECT_EQ(data::read_idx(write("d.idx", doubles)).to_vector<double>(),
            (std::vector<double>{-2.5}));
}

TEST_F(IdxTest, BadFilesAreRefused) {
  std::string good = idx_header(0x08, {4}) + std::string(4, '\x07');
  expect_error([&] { data::read_idx(write("t.idx", good.substr(0, good.size() - 1))); }, "read_idx",
               "truncated");
  expect_error([&] { data::read_idx(write_gz("t.idx.gz", good.substr(0, 6))); }, "read_idx",
               "truncated");
  expect_error([&] { data::read_idx(write("x.idx", good + "!")); }, "read_idx", "bytes after");
  expect_error(
      [&] { data::read_idx(write("m.idx", std::string("\x01\x00\x08\x01", 4) + good.substr(4))); },
      "read_idx", "magic");
  expect_error([&] { data::read_idx(write("c.idx", idx_header(0x0A, {1}) + "\x01")); }, "read_idx",
               "type code 0xa");
  expect_error(
      [&] {
        data::read_idx(write("h.idx", idx_header(0x0E, {65536, 65536, 65536})));
      },
      "read_idx", "declares 2251799813685248 data bytes but 0 follow it");
  // A product that would wrap around 64 bits to zero.
  expect_error(
      [&] {
        data::read_idx(write("w.idx", idx_header(0x08, {1u << 18, 1u << 18, 1u << 28})));
      },
      "read_idx", "too large");
  expect_error([&] { data::read_idx((dir_ / "absent.idx").string()); }, "read_idx", "cannot open");
  std::string corrupt_gz = write_gz("z.idx.gz", good);
  std::fstream patch(corrupt_gz, std::ios::in | std::ios::out | std::ios::binary);
  patch.seekp(12);
  patch.write("\xff\xff\xff\xff", 4);
  patch.close();
  EXPECT_THROW(data::read_idx(corrupt_gz), Error);
}

// How much the peak resident memory grows while fn runs; nullopt where Linux cannot reset
// the peak (/proc/self/clear_refs).
std::optional<int64_t> peak_memory_growth(const std::function<void()>& fn) {
  auto peak_bytes = [] {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
      if (line.rfind("VmHWM:", 0) == 0) return int64_t{std::stoll(line.substr(6))} * 1024;
    }
    return int64_t{-1};
  };
  std::ofstream reset("/proc/self/clear_refs");
  if (!(reset << "5" << std::flush)) return std::nullopt;
  int64_t before = peak_bytes();
  fn();
  return before < 0 ? std::nullopt : std::optional<int64_t>(peak_bytes() - before);
}

// The gzip trailer is read only when looking past the values: a wrong CRC there was
// reported as bytes after the values.
TEST_F(IdxTest, AGzipFileWithAFlippedTrailingCrcIsCorrupted) {
  std::string file = write_gz("crc.idx.gz", idx_header(0x08, {3}) + std::string("\x01\x02\x03"));
  std::fstream patch(file, std::ios::in | std::ios::out | std::ios::binary);
  patch.seekg(-8, std::ios::end);
  char crc_byte = static_cast<char>(patch.get());
  patch.seekp(-8, std::ios::end);
  patch.put(static_cast<char>(crc_byte ^ 0xFF));
  patch.close();
  expect_error([&] { data::read_idx(file); }, "read_idx",
               file + " is corrupted: incorrect data check");
}

// The defects: 8 bytes made the reader allocate 4.3 GB, and the 16 bytes of an IDX
// header declaring 1,000 times Fashion-MNIST's training images, gzip-compressed, took 12.6 GB
// and 80 s before "truncated".
TEST_F(IdxTest, HeadersThatDeclareMoreThanTheFileHoldsCostOnlyWhatItHolds) {
  std::string eight = write("eight.idx", idx_header(0x08, {0xFFFFFFFF}));
  ASSERT_EQ(std::filesystem::file_size(eight), 8u);
  std::string sixteen = idx_header(0x08, {16434742, 28, 28});
  ASSERT_EQ(sixteen.size(), 16u);
  std::string gz = write_gz("sixteen.idx.gz", sixteen);
  std::string gz_with_data = write_gz("some-data.idx.gz", sixteen + std::string(300'000, '\x07'));
  expect_error([&] { data::read_idx(eight); }, "read_idx",
               eight + " is truncated: its header declares 4294967295 data bytes but 0 follow it");
  expect_error([&] { data::read_idx(gz); }, "read_idx", gz + " is truncated");
  expect_error([&] { data::read_idx(gz_with_data); }, "read_idx", gz_with_data + " is truncated");
  for (const std::string& file : {eight, gz, gz_with_data}) {
    SCOPED_TRACE(file);
    std::optional<int64_t> growth =
        peak_memory_growth([&] { EXPECT_THROW(data::read_idx(file), Error); });
    if (!growth) GTEST_SKIP() << "the peak resident memory cannot be reset here";
    EXPECT_LT(*growth, int64_t{64} << 20);
  }
}

TEST_F(IdxTest, ZeroSizeDimsBesideHugeOnesNeedStridesThatFit) {
  for (uint8_t type : {uint8_t{0x08}, uint8_t{0x0E}}) {
    SCOPED_TRACE(int{type});
    std::string bytes = idx_header(type, {0, 1u << 31, 1u << 31});
    for (const std::string& file : {write("z.idx", bytes), write_gz("z.idx.gz", bytes)}) {
      Tensor t = data::read_idx(file);
      EXPECT_EQ(t.shape(), (Shape{0, int64_t{1} << 31, int64_t{1} << 31}));
      EXPECT_EQ(t.numel(), 0);
    }
  }
  std::string empty_labels = write_gz("e.idx.gz", idx_header(0x08, {0}));
  EXPECT_EQ(data::read_idx(empty_labels).shape(), (Shape{0}));
  // The non-zero sizes multiply to 2^64: no contiguous strides exist in int64.
  std::string wide = write("w.idx", idx_header(0x08, {0, 0xFFFFFFFF, 0xFFFFFFFF}));
  expect_error([&] { data::read_idx(wide); }, "read_idx",
               wide + " declares a shape too large for a tensor: [0,4294967295,4294967295]");
}

TEST_F(IdxTest, EveryErrorNamesTheFile) {
  std::string good = idx_header(0x0C, {2}) + std::string(8, '\x01');
  std::vector<std::pair<std::string, std::string>> cases = {
      {write("short.idx", good.substr(0, 3)), "truncated"},
      {write_gz("short.idx.gz", good.substr(0, 11)), "truncated"},
      {write("extra.idx", good + "!"), "bytes after"},
      {write_gz("extra.idx.gz", good + "!"), "bytes after"},
      {write("magic.idx", "\x01" + good.substr(1)), "magic"},
      {write("type.idx", idx_header(0x07, {1}) + "\x01"), "type code 0x7"},
      {write("huge.idx", idx_header(0x0C, {1u << 31, 1u << 31, 1u << 31})), "too large"},
      {path("absent.idx"), "cannot open"},
      {dir_.string(), "directory"},
  };
  for (const auto& [file, needle] : cases) {
    SCOPED_TRACE(file);
    expect_error([&] { data::read_idx(file); }, "read_idx", needle);
    expect_error([&] { data::read_idx(file); }, "read_idx", file);
  }
}

TEST(FashionMnistFiles, TestLabelsHoldTenBalancedClasses) {
  Tensor labels = data::read_idx(kFashionMnist + "/t10k-labels-idx1-ubyte.gz");
  ASSERT_EQ(labels.shape(), (Shape{10000}));
  std::vector<int64_t> counts(10, 0);
  for (int64_t label : labels.to_vector<int64_t>()) {
    ASSERT_LT(label, 10);
    ++counts[static_cast<size_t>(label)];
  }
  EXPECT_EQ(counts, std::vector<int64_t>(10, 1000));
  Tensor images = data::read_idx(kFashionMnist + "/t10k-images-idx3-ubyte.gz");
  EXPECT_EQ(images.shape(), (Shape{10000, 28, 28}));
  EXPECT_EQ(images.dtype(), kUInt8);
}

TEST(Shuffle, PermutationsDependOnSeedAndEpochOnly) {
  std::vector<int64_t> order = data::shuffled_indices(1000, 7, 0);
  std::vector<int64_t> sorted = order;
  std::sort(sorted.begin(), sorted.end());
  for (int64_t i = 0; i < 1000; ++i) ASSERT_EQ(sorted[i], i);
  EXPECT_EQ(order, data::shuffled_indices(1000, 7, 0));
  EXPECT_NE(order, data::shuffled_indices(1000, 8, 0));
  EXPECT_NE(order, data::shuffled_indices(1000, 7, 1));
  int64_t fixed_points = 0;
  for (int64_t i = 0; i < 1000; ++i) fixed_points += order[i] == i;
  EXPECT_LT(fixed_points, 10);  // a shuffle, not the identity
}

// Example i holds the value i, so a batch shows which examples it took.
data::TensorDataset numbered(int64_t n) {
  return data::TensorDataset(arange(0, n, 1, kFloat32).reshape({n, 1}), arange(0, n, 1, kInt64));
}

std::vector<std::vector<int64_t>> epoch_of(data::DataLoader& loader) {
  std::vector<std::vector<int64_t>> batches;
  for (const data::Batch& batch : loader) {
    EXPECT_EQ(batch.input.reshape({-1}).to_vector<int64_t>(), batch.target.to_vector<int64_t>());
    batches.push_back(batch.target.to_vector<int64_t>());
  }
  return batches;
}

TEST(DataLoader, BatchesCoverTheDatasetInOrder) {
  data::TensorDataset dataset = numbered(10);
  data::DataLoader loader(dataset, {.batch_size = 4});
  EXPECT_EQ(loader.size(), 3);
  EXPECT_EQ(epoch_of(loader),
            (std::vector<std::vector<int64_t>>{{0, 1, 2, 3}, {4, 5, 6, 7}, {8, 9}}));
  data::DataLoader dropping(dataset, {.batch_size = 4, .drop_last = true});
  EXPECT_EQ(dropping.size(), 2);
  EXPECT_EQ(epoch_of(dropping).size(), 2u);
}

static_assert(std::input_iterator<data::DataLoader::Iterator>);
static_assert(std::ranges::input_range<data::DataLoader>);

TEST(DataLoader, WorksWithTheStandardRanges) {
  data::TensorDataset dataset = numbered(10);
  data::DataLoader loader(dataset, {.batch_size = 3});
  std::vector<std::vector<int64_t>> taken;
  for (const data::Batch& batch : loader | std::views::take(2)) {
    taken.push_back(batch.target.to_vector<int64_t>());
  }
  EXPECT_EQ(taken, (std::vector<std::vector<int64_t>>{{0, 1, 2}, {3, 4, 5}}));
  auto it = loader.begin();
  it++;
  EXPECT_EQ(it->target.to_vector<int64_t>(), (std::vector<int64_t>{3, 4, 5}));
  EXPECT_EQ(std::ranges::distance(loader), 4);
}

TEST(DataLoader, ShufflesEachEpochReproduciblyWithOrWithoutPrefetch) {
  data::TensorDataset dataset = numbered(50);
  data::DataLoader a(dataset, {.batch_size = 8, .shuffle = true, .seed = 3});
  data::DataLoader b(dataset, {.batch_size = 8, .shuffle = true, .seed = 3, .prefetch = false});
  auto first = epoch_of(a), second = epoch_of(a);
  EXPECT_NE(first, second);
  EXPECT_EQ(first, epoch_of(b));
  EXPECT_EQ(second, epoch_of(b));
  std::vector<int64_t> seen;
  for (auto& batch : first) seen.insert(seen.end(), batch.begin(), batch.end());
  EXPECT_EQ(seen, data::shuffled_indices(50, 3, 0));
  a.set_epoch(1);
  EXPECT_EQ(epoch_of(a), second);
}

// Fails on the batch that holds example 5.
class FailingDataset : public data::Dataset {
 public:
  int64_t size() const override { return 12; }
  data::Batch get_batch(const std::vector<int64_t>& indices) const override {
    for (int64_t i : indices) {
      if (i == 5) throw Error("[FailingDataset] example 5 is unreadable");
    }
    Tensor index = from_vector(indices);
    return {index.to(kFloat32), index};
  }
};

TEST(DataLoader, ALoadingErrorReachesTheLoopAndEarlyExitsAreClean) {
  FailingDataset dataset;
  for (bool prefetch : {true, false}) {
    data::DataLoader loader(dataset, {.batch_size = 2, .prefetch = prefetch});
    int64_t seen = 0;
    expect_error(
        [&] {
          for (const data::Batch& batch : loader) seen += batch.target.size(0);
        },
        "FailingDataset", "example 5");
    EXPECT_EQ(seen, 4);
    for (const data::Batch& batch : loader) {  // leaves while the next batch is in flight
      EXPECT_EQ(batch.target.size(0), 2);
      break;
    }
  }
}

TEST(DataLoader, BadArgumentsAreRefused) {
  data::TensorDataset dataset = numbered(4);
  expect_error([&] { data::DataLoader(dataset, {.batch_size = 0}); }, "DataLoader", "batch_size");
  expect_error([] { data::TensorDataset(zeros({3, 2}), zeros({4})); }, "TensorDataset", "3");
  expect_error([] { data::FashionMNIST(data::Split::Test, "/nonexistent"); }, "read_idx",
               "cannot open");
}

// (n + b - 1) / b wrapped negative for b near INT64_MAX: the loader ran no batch at all.
TEST(DataLoader, HugeBatchSizesGiveOneBatchOfEverything) {
  data::TensorDataset dataset = numbered(10);
  for (int64_t batch_size : {std::numeric_limits<int64_t>::max(),
                             std::numeric_limits<int64_t>::max() - 5, int64_t{1} << 62}) {
    data::DataLoader loader(dataset, {.batch_size = batch_size, .shuffle = true});
    EXPECT_EQ(loader.size(), 1) << batch_size;
    std::vector<std::vector<int64_t>> batches = epoch_of(loader);
    ASSERT_EQ(batches.size(), 1u) << batch_size;
    EXPECT_EQ(batches[0], data::shuffled_indices(10, 0, 0));
    data::DataLoader dropping(dataset, {.batch_size = batch_size, .drop_last = true});
    EXPECT_EQ(dropping.size(), 0);
    EXPECT_TRUE(epoch_of(dropping).empty());
  }
  data::DataLoader exact(dataset, {.batch_size = 5});
  EXPECT_EQ(exact.size(), 2);
  data::TensorDataset empty = numbered(0);
  EXPECT_EQ(data::DataLoader(empty, {.batch_size = 3}).size(), 0);
}

class NegativeDataset : public data::Dataset {
 public:
  int64_t size() const override { return -3; }
  data::Batch get_batch(const std::vector<int64_t>&) const override { return {}; }
};

TEST(DataLoader, ADatasetOfNegativeSizeIsRefused) {
  NegativeDataset dataset;
  data::DataLoader loader(dataset, {.batch_size = 2});
  expect_error([&] { loader.size(); }, "DataLoader", "reports -3 examples");
  expect_error([&] { loader.begin(); }, "DataLoader", "reports -3 examples");
}

// Epoch e draws counters from e * 2^40: past 2^24 epochs they would wrap onto epoch 0's.
TEST(Shuffle, EpochsAndSizesPastTheCounterRangeAreRefused) {
  expect_error([] { data::shuffled_indices(4, 0, int64_t{1} << 24); }, "shuffled_indices",
               "epoch must be in [0, 2^24), got 16777216");
  expect_error([] { data::shuffled_indices(4, 0, -1); }, "shuffled_indices", "got -1");
  expect_error([] { data::shuffled_indices((int64_t{2} << 40) + 1, 0, 0); }, "shuffled_indices",
               "n must be in [0, 2^41]");
  EXPECT_EQ(data::shuffled_indices(3, 0, (int64_t{1} << 24) - 1).size(), 3u);
}

// 2^41 examples are allowed but need 32 TiB: the refused allocation was a std::bad_alloc.
TEST(Shuffle, AnOrderTooLargeForMemoryIsAnEmberError) {
  expect_error([] { data::shuffled_indices(int64_t{2} << 40, 0, 0); }, "shuffled_indices",
               "35184372088832 bytes do not fit in the ");
}

TEST(FashionMnist, BatchesAreNormalisedImagesAndLabels) {
  data::FashionMNIST test(data::Split::Test);
  ASSERT_EQ(test.size(), 10000);
  data::Batch batch = test.get_batch({0, 9999});
  EXPECT_EQ(batch.input.shape(), (Shape{2, 1, 28, 28}));
  EXPECT_EQ(batch.input.dtype(), kFloat32);
  Tensor raw = data::read_idx(kFashionMnist + "/t10k-images-idx3-ubyte.gz");
  Tensor labels = data::read_idx(kFashionMnist + "/t10k-labels-idx1-ubyte.gz");
  std::vector<double> pixels = raw.select(0, 9999).to_vector<double>();
  std::vector<double> got = batch.input.select(0, 1).to_vector<double>();
  for (size_t i = 0; i < pixels.size(); ++i) {
    ASSERT_NEAR(got[i], (pixels[i] / 255 - 0.2860) / 0.3530, 1e-5) << "pixel " << i;
  }
  EXPECT_EQ(batch.target.to_vector<int64_t>()[1], labels.to_vector<int64_t>()[9999]);
}

}  // namespace
}  // namespace ember
