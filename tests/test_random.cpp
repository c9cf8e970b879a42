// Philox known answers, reproducibility of the default generator, independence from the
// thread count, distribution statistics, dtypes and argument errors.
#include <algorithm>
#include <numeric>
#include <set>

#include "../src/core/philox.h"
#include "test_util.h"

namespace ember {
namespace {

using test::expect_error;

struct Moments {
  double mean = 0, variance = 0;
};

Moments moments_of(const std::vector<double>& v) {
  Moments m;
  for (double x : v) m.mean += x;
  m.mean /= static_cast<double>(v.size());
  for (double x : v) m.variance += (x - m.mean) * (x - m.mean);
  m.variance /= static_cast<double>(v.size() - 1);
  return m;
}

// Restores the number of threads when a test ends.
class ThreadCount {
 public:
  ThreadCount() : saved_(get_num_threads()) {}
  ~ThreadCount() { set_num_threads(saved_); }

 private:
  int saved_;
};

// Random123's kat_vectors for philox4x32-10.
TEST(Philox, KnownAnswers) {
  EXPECT_EQ(philox::philox4x32_10({0, 0, 0, 0}, {0, 0}),
            (philox::Block{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}));
  EXPECT_EQ(philox::philox4x32_10({0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
                                  {0xffffffff, 0xffffffff}),
            (philox::Block{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}));
  EXPECT_EQ(philox::philox4x32_10({0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
                                  {0xa4093822, 0x299f31d0}),
            (philox::Block{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}));
}

TEST(Philox, Conversions) {
  EXPECT_EQ(philox::to_float(0), 0.0f);
  EXPECT_LT(philox::to_float(0xffffffff), 1.0f);
  EXPECT_GT(philox::to_float_nonzero(0), 0.0f);
  EXPECT_EQ(philox::to_float_nonzero(0xffffffff), 1.0f);
  EXPECT_EQ(philox::to_double(0, 0), 0.0);
  EXPECT_LT(philox::to_double(0xffffffff, 0xffffffff), 1.0);
  EXPECT_EQ(philox::to_double_nonzero(0xffffffff, 0xffffffff), 1.0);
  EXPECT_EQ(philox::to_uint64(1, 2), 0x200000001ull);
}

// Element i is lane i % 4 of counter offset + i / 4, keyed by the seed.
TEST(Random, RandFollowsTheCounterLayout) {
  set_rng_state({1234, 7});
  std::vector<float> got = rand({9}).to_vector<float>();
  philox::Key key = philox::key_of(1234);
  for (size_t i = 0; i < got.size(); ++i) {
    philox::Block block = philox::block_at(key, 7 + i / 4);
    EXPECT_EQ(got[i], philox::to_float(block[i % 4])) << "element " << i;
  }
  EXPECT_EQ(get_rng_state().offset, 7u + 3u);  // three blocks consumed
}

TEST(Random, SameSeedSameValues) {
  manual_seed(42);
  auto a = randn({1000}).to_vector<float>();
  manual_seed(42);
  auto b = randn({1000}).to_vector<float>();
  EXPECT_EQ(a, b);
  manual_seed(43);
  EXPECT_NE(randn({1000}).to_vector<float>(), a);
}

TEST(Random, SuccessiveCallsDiffer) {
  manual_seed(0);
  auto a = rand({10}).to_vector<float>();
  auto b = rand({10}).to_vector<float>();
  EXPECT_NE(a, b);
  for (float x : b) EXPECT_EQ(std::count(a.begin(), a.end(), x), 0);
}

TEST(Random, SavedStateReplays) {
  manual_seed(5);
  rand({3});
  RngState saved = get_rng_state();
  auto first = randn({17}, kFloat64).to_vector<double>();
  auto ints = randint(0, 100, {9}).to_vector<int64_t>();
  set_rng_state(saved);
  EXPECT_EQ(randn({17}, kFloat64).to_vector<double>(), first);
  EXPECT_EQ(randint(0, 100, {9}).to_vector<int64_t>(), ints);
}

TEST(Random, IndependentOfThreadCount) {
  ThreadCount restore;
  auto draw = [](int threads) {
    set_num_threads(threads);
    manual_seed(9);
    std::vector<double> all = rand({300001}).to_vector<double>();
    for (double x : randn({200003}, kFloat64).to_vector<double>()) all.push_back(x);
    for (double x : randint(-5, 1000, {100005}, kInt32).to_vector<double>()) all.push_back(x);
    return all;
  };
  auto one = draw(1);
  EXPECT_EQ(draw(2), one);
  EXPECT_EQ(draw(4), one);
}

TEST(Random, UniformStatistics) {
  manual_seed(1);
  auto v = rand({1 << 20}).to_vector<double>();
  Moments m = moments_of(v);
  EXPECT_NEAR(m.mean, 0.5, 2e-3);           // standard error 2.8e-4
  EXPECT_NEAR(m.variance, 1.0 / 12, 1e-3);  // standard error 8e-5
  EXPECT_GE(*std::min_element(v.begin(), v.end()), 0.0);
  EXPECT_LT(*std::max_element(v.begin(), v.end()), 1.0);
  std::vector<int> deciles(10);
  for (double x : v) ++deciles[static_cast<size_t>(x * 10)];
  for (int count : deciles) EXPECT_NEAR(count, (1 << 20) / 10, 2000);  // sd about 300
}

TEST(Random, NormalStatistics) {
  for (DType dtype : {kFloat32, kFloat64}) {
    manual_seed(2);
    auto v = randn({1 << 20}, dtype).to_vector<double>();
    Moments m = moments_of(v);
    EXPECT_NEAR(m.mean, 0.0, 5e-3) << dtype_name(dtype);  // standard error 1e-3
    EXPECT_NEAR(m.variance, 1.0, 1e-2) << dtype_name(dtype);
    double within_one = 0;
    for (double x : v) within_one += std::abs(x) < 1;
    EXPECT_NEAR(within_one / static_cast<double>(v.size()), 0.6827, 3e-3) << dtype_name(dtype);
    for (double x : v) ASSERT_TRUE(std::isfinite(x));
  }
}

TEST(Random, RandintRangeAndCoverage) {
  manual_seed(3);
  auto v = randint(-3, 7, {100000}).to_vector<int64_t>();
  std::vector<int> counts(10);
  for (int64_t x : v) {
    ASSERT_GE(x, -3);
    ASSERT_LT(x, 7);
    ++counts[static_cast<size_t>(x + 3)];
  }
  for (int c : counts) EXPECT_NEAR(c, 10000, 600);  // sd about 95
  auto big = randint(0, int64_t{1} << 40, {1000}).to_vector<int64_t>();
  EXPECT_GT(*std::max_element(big.begin(), big.end()), int64_t{1} << 39);
}

TEST(Random, BernoulliFrequency) {
  manual_seed(4);
  auto v = bernoulli({100000}, 0.3).to_vector<double>();
  double ones = std::accumulate(v.begin(), v.end(), 0.0);
  for (double x : v) ASSERT_TRUE(x == 0 || x == 1);
  EXPECT_NEAR(ones / 100000, 0.3, 0.01);  // sd 0.0015
  auto probabilities = from_vector(std::vector<float>{0, 1, 0.5f, 0.9f}).expand({25000, 4});
  auto w = bernoulli(probabilities.contiguous()).to_vector<double>();
  std::vector<int> hits(4);
  for (size_t i = 0; i < w.size(); ++i) hits[i % 4] += static_cast<int>(w[i]);
  EXPECT_EQ(hits[0], 0);
  EXPECT_EQ(hits[1], 25000);
  EXPECT_NEAR(hits[2], 12500, 500);  // sd 80
  EXPECT_NEAR(hits[3], 22500, 500);  // sd 47
  EXPECT_EQ(bernoulli(probabilities).dtype(), kFloat32);
}

TEST(Random, RandpermIsAPermutation) {
  manual_seed(6);
  auto p = randperm(1000).to_vector<int64_t>();
  std::vector<int64_t> sorted = p;
  std::sort(sorted.begin(), sorted.end());
  std::vector<int64_t> identity(1000);
  std::iota(identity.begin(), identity.end(), 0);
  EXPECT_EQ(sorted, identity);
  EXPECT_NE(p, identity);
  manual_seed(6);
  EXPECT_EQ(randperm(1000).to_vector<int64_t>(), p);
  manual_seed(7);
  EXPECT_NE(randperm(1000).to_vector<int64_t>(), p);
  EXPECT_EQ(randperm(0).numel(), 0);
  EXPECT_EQ(randperm(1).to_vector<int64_t>(), std::vector<int64_t>{0});
  EXPECT_EQ(randperm(5, kInt32).dtype(), kInt32);
}

TEST(Random, Dtypes) {
  manual_seed(8);
  Tensor d = rand({1000}, kFloat64);
  EXPECT_EQ(d.dtype(), kFloat64);
  // float64 uses 53 random bits: a float32-derived value would repeat its low bits.
  auto values = d.to_vector<double>();
  EXPECT_TRUE(std::any_of(values.begin(), values.end(), [](double x) {
    return static_cast<double>(static_cast<float>(x)) != x;
  }));
  for (DType dtype : {kFloat16, kBFloat16}) {
    Tensor h = randn({1000}, dtype);
    EXPECT_EQ(h.dtype(), dtype);
    Moments m = moments_of(h.to_vector<double>());
    EXPECT_NEAR(m.mean, 0, 0.2);
    EXPECT_NEAR(m.variance, 1, 0.2);
  }
  Tensor i = randint(0, 256, {1000}, kInt32);
  EXPECT_EQ(i.dtype(), kInt32);
  std::set<int64_t> distinct;
  for (int64_t x : i.to_vector<int64_t>()) distinct.insert(x);
  EXPECT_GT(distinct.size(), 200u);
  EXPECT_EQ(randint(0, 256, {10}, kUInt8).dtype(), kUInt8);
  auto f = randint(-4, 4, {100}, kFloat32).to_vector<double>();
  for (double x : f) EXPECT_EQ(x, std::floor(x));
  EXPECT_EQ(rand({2, 0, 3}).shape(), (Shape{2, 0, 3}));
  EXPECT_EQ(rand({}).dim(), 0);
}

TEST(Random, Errors) {
  expect_error([] { randint(5, 5, {3}); }, "randint", "low < high");
  expect_error([] { randint(0, 300, {3}, kUInt8); }, "randint", "uint8");
  expect_error([] { rand({2, -1}); }, "rand", "negative");
  expect_error([] { rand({2}, kInt64); }, "rand", "floating-point");
  expect_error([] { randn({2}, kInt32); }, "randn", "floating-point");
  expect_error([] { bernoulli({2}, 1.5); }, "bernoulli", "[0, 1]");
  expect_error([] { bernoulli({2}, -0.1); }, "bernoulli", "[0, 1]");
  expect_error([] { bernoulli(ones({2}, kInt64)); }, "bernoulli", "floating-point");
  expect_error([] { bernoulli(Tensor()); }, "bernoulli", "undefined");
  expect_error([] { randperm(-1); }, "randperm", "non-negative");
  expect_error([] { randperm(300, kUInt8); }, "randperm", "uint8");
}

}  // namespace
}  // namespace ember
