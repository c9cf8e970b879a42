// Reductions, cumsum and softmax: forward against float64 references, dtypes, thread
// independence, gradients and error messages.
#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <numeric>

#include "test_util.h"

namespace ember {
namespace {

using test::expect_error;
using test::expect_gradients_match;
using test::random_tensor;
using test::values_of;

using Group = std::vector<double>;
using Reference = std::function<double(const Group&)>;

// The elements of each output of a reduction over dims, in row-major order.
std::vector<Group> groups_of(const std::vector<double>& values, const Shape& shape,
                             const std::vector<int64_t>& dims) {
  Shape keep = shape;
  for (int64_t d : dims) keep[d] = 1;
  std::vector<Group> groups(static_cast<size_t>(test::numel_of(keep)));
  for (int64_t i = 0; i < static_cast<int64_t>(values.size()); ++i) {
    groups[test::broadcast_index(test::unravel(i, shape), keep)].push_back(values[i]);
  }
  return groups;
}

std::vector<int64_t> normalized(const std::vector<int64_t>& dims, int64_t ndim) {
  std::vector<int64_t> result;
  for (int64_t d : dims) result.push_back(d < 0 ? d + ndim : d);
  if (result.empty()) {
    result.resize(static_cast<size_t>(ndim));
    std::iota(result.begin(), result.end(), 0);
  }
  std::sort(result.begin(), result.end());
  return result;
}

Shape result_shape(const Shape& shape, const std::vector<int64_t>& dims, bool keepdim) {
  Shape out;
  for (int64_t d = 0; d < static_cast<int64_t>(shape.size()); ++d) {
    bool reduced = std::find(dims.begin(), dims.end(), d) != dims.end();
    if (!reduced) out.push_back(shape[d]);
    if (reduced && keepdim) out.push_back(1);
  }
  return out;
}

double ref_sum(const Group& g) { return std::accumulate(g.begin(), g.end(), 0.0); }
double ref_mean(const Group& g) { return ref_sum(g) / static_cast<double>(g.size()); }
double ref_prod(const Group& g) {
  return std::accumulate(g.begin(), g.end(), 1.0, std::multiplies<>());
}
double ref_max(const Group& g) { return *std::max_element(g.begin(), g.end()); }
double ref_min(const Group& g) { return *std::min_element(g.begin(), g.end()); }
double ref_logsumexp(const Group& g) {
  double m = ref_max(g), s = 0;
  for (double v : g) s += std::exp(v - m);
  return m + std::log(s);
}
double ref_var(const Group& g) {
  double m = ref_mean(g), s = 0;
  for (double v : g) s += (v - m) * (v - m);
  return s / static_cast<double>(g.size() - 1);
}
double ref_std(const Group& g) { return std::sqrt(ref_var(g)); }

using ReduceFn = std::function<Tensor(const Tensor&, const Dims&, bool)>;

struct Case {
  Shape shape;
  std::vector<int64_t> dims;
};

// Small shapes with every kind of dim set, plus sizes that reach the chunked row path
// (rows over 8192) and the pairwise column path (more than 16 rows).
const std::vector<Case>& cases() {
  static const std::vector<Case> all = {
      {{3, 4, 5}, {}},     {{3, 4, 5}, {0}},       {{3, 4, 5}, {1}},
      {{3, 4, 5}, {2}},    {{3, 4, 5}, {-1}},      {{3, 4, 5}, {0, 2}},
      {{3, 4, 5}, {1, 2}}, {{3, 4, 5}, {-3, -2}},  {{3, 1, 5}, {1}},
      {{7}, {0}},          {{2, 20000}, {1}},      {{50, 70}, {0}},
      {{3, 45, 2}, {1}},   {{2, 3, 4, 5}, {1, 3}},
  };
  return all;
}

void expect_reduce_matches(const ReduceFn& op, const Reference& ref, DType dtype, double tolerance,
                           bool non_contiguous = false) {
  for (const Case& c : cases()) {
    for (bool keepdim : {false, true}) {
      Tensor x = random_tensor(c.shape, dtype, 7);
      if (non_contiguous) x = test::non_contiguous(x);
      std::vector<int64_t> dims = normalized(c.dims, x.dim());
      std::vector<double> want;
      for (const Group& g : groups_of(values_of(x), x.shape(), dims)) want.push_back(ref(g));
      Tensor got = op(x, c.dims, keepdim);
      SCOPED_TRACE(shape_string(c.shape) + " dims " + shape_string(c.dims) +
                   (keepdim ? " keepdim" : ""));
      EXPECT_EQ(got.shape(), result_shape(c.shape, dims, keepdim));
      EXPECT_NMSE_BELOW(got, want, tolerance);
    }
  }
}

TEST(Reduce, FloatingReductionsMatchFloat64) {
  for (DType dtype : {kFloat32, kFloat64}) {
    for (bool strided : {false, true}) {
      SCOPED_TRACE(std::string(dtype_name(dtype)) + (strided ? " strided" : ""));
      auto fn = [](auto f) { return ReduceFn(f); };
      expect_reduce_matches(fn([](auto& x, auto& d, bool k) { return sum(x, d, k); }), ref_sum,
                            dtype, 1e-12, strided);
      expect_reduce_matches(fn([](auto& x, auto& d, bool k) { return mean(x, d, k); }), ref_mean,
                            dtype, 1e-12, strided);
      expect_reduce_matches(fn([](auto& x, auto& d, bool k) { return amax(x, d, k); }), ref_max,
                            dtype, 0, strided);
      expect_reduce_matches(fn([](auto& x, auto& d, bool k) { return amin(x, d, k); }), ref_min,
                            dtype, 0, strided);
      expect_reduce_matches(fn([](auto& x, auto& d, bool k) { return logsumexp(x, d, k); }),
                            ref_logsumexp, dtype, 1e-12, strided);
      expect_reduce_matches(fn([](auto& x, auto& d, bool k) { return var(x, d, 1, k); }), ref_var,
                            dtype, 1e-11, strided);
      expect_reduce_matches(fn([](auto& x, auto& d, bool k) { return std(x, d, 1, k); }), ref_std,
                            dtype, 1e-11, strided);
    }
  }
}

TEST(Reduce, ProdMatchesFloat64) {
  // Few elements per product keep the values in range.
  for (const Shape& shape : {Shape{4, 6}, Shape{6, 4}}) {
    for (int64_t dim : {0, 1}) {
      Tensor x = random_tensor(shape, kFloat64, 3);
      std::vector<double> want;
      for (const Group& g : groups_of(values_of(x), shape, {dim})) want.push_back(ref_prod(g));
      EXPECT_NMSE_BELOW(prod(x, dim), want, 1e-26);
      EXPECT_NMSE_BELOW(prod(test::non_contiguous(x.to(kFloat32)), dim), want, 1e-12);
    }
  }
  EXPECT_DOUBLE_EQ(prod(from_vector<double>({2, -3, 0.5})).item<double>(), -3);
}

TEST(Reduce, MaxMinAndArgExtremes) {
  Tensor x = from_vector<float>({1, 5, -2, 5, 3, -2}, {2, 3});
  EXPECT_EQ(max(x).item<float>(), 5);
  EXPECT_EQ(min(x).item<float>(), -2);
  EXPECT_EQ(argmax(x).item<int64_t>(), 1);  // the first of the ties, flattened
  EXPECT_EQ(argmin(x).item<int64_t>(), 2);
  EXPECT_EQ(argmax(x, 1).to_vector<int64_t>(), (std::vector<int64_t>{1, 0}));
  EXPECT_EQ(argmin(x, 0).to_vector<int64_t>(), (std::vector<int64_t>{0, 1, 0}));
  EXPECT_EQ(argmax(x, -1, true).shape(), (Shape{2, 1}));
  EXPECT_EQ(argmax(x, std::nullopt, true).shape(), (Shape{1, 1}));
  EXPECT_EQ(argmax(x).dtype(), kInt64);
  Tensor nan = from_vector<float>({1, NAN, 7, NAN});
  EXPECT_TRUE(std::isnan(max(nan).item<float>()));
  EXPECT_TRUE(std::isnan(amin(nan, 0).item<float>()));
  EXPECT_EQ(argmax(nan).item<int64_t>(), 1);
  EXPECT_EQ(argmin(nan).item<int64_t>(), 1);
  EXPECT_EQ(max(from_vector<int32_t>({4, -9, 12})).item<int32_t>(), 12);
  EXPECT_EQ(max(from_vector<int32_t>({4, -9, 12})).dtype(), kInt32);
}

TEST(Reduce, ArgmaxMatchesReferenceOnEveryPath) {
  for (const Shape& shape : {Shape{3, 20001}, Shape{40, 7}, Shape{5, 6, 7}}) {
    Tensor x = random_tensor(shape, kFloat32, 11);
    for (int64_t dim = 0; dim < x.dim(); ++dim) {
      std::vector<double> want_max, want_min;
      for (const Group& g : groups_of(values_of(x), shape, {dim})) {
        want_max.push_back(static_cast<double>(std::max_element(g.begin(), g.end()) - g.begin()));
        want_min.push_back(static_cast<double>(std::min_element(g.begin(), g.end()) - g.begin()));
      }
      EXPECT_EQ(values_of(argmax(x, dim)), want_max) << "dim " << dim;
      EXPECT_EQ(values_of(argmin(test::non_contiguous(x), dim)), want_min) << "dim " << dim;
    }
  }
}

TEST(Reduce, IntegerAndBoolDtypes) {
  Tensor i = from_vector<int32_t>({1, -2, 3, 4, 5, 6}, {2, 3});
  EXPECT_EQ(sum(i).dtype(), kInt64);
  EXPECT_EQ(sum(i, 1).to_vector<int64_t>(), (std::vector<int64_t>{2, 15}));
  EXPECT_EQ(prod(i, 0).to_vector<int64_t>(), (std::vector<int64_t>{4, -10, 18}));
  EXPECT_EQ(prod(i).dtype(), kInt64);
  Tensor b = from_vector<bool>({true, false, true, true}, {2, 2});
  EXPECT_EQ(sum(b).dtype(), kInt64);
  EXPECT_EQ(sum(b).item<int64_t>(), 3);
  EXPECT_EQ(sum(b, 0).to_vector<int64_t>(), (std::vector<int64_t>{2, 1}));
  EXPECT_EQ(amax(b, 1).to_vector<bool>(), (std::vector<bool>{true, true}));
  EXPECT_EQ(amin(b, 1).dtype(), kBool);
  Tensor big = full({3}, int64_t{1} << 40, kInt64);
  EXPECT_EQ(sum(big).item<int64_t>(), int64_t{3} << 40);
  EXPECT_EQ(sum(full({5, 3000}, 1, kUInt8)).item<int64_t>(), 15000);
}

TEST(Reduce, AllAndAnyGiveBoolForAnyDtype) {
  Tensor f = from_vector<float>({1, 0, 2, 3, -1, 0.5}, {2, 3});
  EXPECT_EQ(all(f).dtype(), kBool);
  EXPECT_FALSE(all(f).item<bool>());
  EXPECT_TRUE(any(f).item<bool>());
  EXPECT_EQ(all(f, 1).to_vector<bool>(), (std::vector<bool>{false, true}));
  EXPECT_EQ(all(f, 0).to_vector<bool>(), (std::vector<bool>{true, false, true}));
  EXPECT_EQ(any(zeros({2, 3}, kInt32), 1, true).shape(), (Shape{2, 1}));
  EXPECT_FALSE(any(zeros({2, 3}, kInt32)).item<bool>());
  EXPECT_TRUE(all(ones({4, 9000}, kBool)).item<bool>());
  EXPECT_TRUE(all(zeros({0})).item<bool>());
  EXPECT_FALSE(any(zeros({0})).item<bool>());
  Tensor big = ones({3, 10000}, kBool);
  big.select(0, 2).select(0, 9999).fill_(false);
  EXPECT_EQ(all(big, 1).to_vector<bool>(), (std::vector<bool>{true, true, false}));
  EXPECT_EQ(all(big.t(), 0).to_vector<bool>(), (std::vector<bool>{true, true, false}));
}

TEST(Reduce, HalfPrecisionRoundTrips) {
  for (DType dtype : {kFloat16, kBFloat16}) {
    Tensor x = random_tensor({6, 40}, dtype, 5);
    for (int64_t dim : {0, 1}) {
      std::vector<double> want;
      for (const Group& g : groups_of(values_of(x), x.shape(), {dim})) want.push_back(ref_sum(g));
      Tensor got = sum(x, dim);
      EXPECT_EQ(got.dtype(), dtype);
      EXPECT_NMSE_BELOW(got, want, 1e-4);
      EXPECT_EQ(mean(x, dim).dtype(), dtype);
      EXPECT_EQ(amax(x, dim).dtype(), dtype);
      EXPECT_EQ(softmax(x, dim).dtype(), dtype);
      EXPECT_EQ(cumsum(x, dim).dtype(), dtype);
      EXPECT_EQ(var(x, dim).dtype(), dtype);
    }
  }
}

TEST(Reduce, EmptyAndZeroDimTensors) {
  EXPECT_EQ(sum(zeros({0, 3})).item<float>(), 0);
  EXPECT_EQ(sum(zeros({0, 3}), 0).to_vector<float>(), std::vector<float>(3, 0));
  EXPECT_EQ(prod(zeros({2, 0}), 1).to_vector<float>(), std::vector<float>(2, 1));
  EXPECT_TRUE(std::isnan(mean(zeros({0})).item<float>()));
  EXPECT_EQ(sum(zeros({3, 0}), 0).shape(), (Shape{0}));
  Tensor s = scalar_tensor(2.5);
  EXPECT_EQ(sum(s).item<float>(), 2.5f);
  EXPECT_EQ(sum(s, 0).dim(), 0);
  EXPECT_EQ(amax(s, -1, true).dim(), 0);
  EXPECT_EQ(argmax(s).item<int64_t>(), 0);
  EXPECT_EQ(argmax(s, 0).item<int64_t>(), 0);
  EXPECT_EQ(softmax(s, 0).item<float>(), 1);
  EXPECT_EQ(cumsum(s, 0).item<float>(), 2.5f);
}

TEST(Reduce, LargeSumIsAccurate) {
  // Positive values: a sequential float32 sum of 4M of them is off by about 1e-2.
  int64_t n = (int64_t{1} << 22) + 37;
  std::vector<double> values = test::random_values(n, 21);
  double want = 0;
  for (double& v : values) want += (v = std::abs(v));
  Tensor x = from_vector(values).to(kFloat32);
  double exact = 0;
  for (float v : x.to_vector<float>()) exact += v;
  EXPECT_LT(std::abs(sum(x).item<float>() - exact) / exact, 1e-6);
  EXPECT_LT(std::abs(sum(x.reshape({-1, 1}), 0).item<float>() - exact) / exact, 1e-6);
  EXPECT_LT(std::abs(mean(x).item<float>() * static_cast<double>(n) - exact) / exact, 1e-6);
}

// Runs f with 1, 2 and 4 threads and expects the same bits each time.
void expect_thread_independent(const std::function<Tensor()>& f) {
  int saved = get_num_threads();
  std::vector<std::vector<double>> results;  // exact: every dtype here converts to double
  for (int threads : {1, 2, 4}) {
    set_num_threads(threads);
    results.push_back(values_of(f()));
  }
  set_num_threads(saved);
  EXPECT_EQ(results[0], results[1]);
  EXPECT_EQ(results[0], results[2]);
}

TEST(Reduce, ResultsDoNotDependOnThreadCount) {
  Tensor x = random_tensor({(1 << 20) + 13}, kFloat32, 4);
  Tensor m = random_tensor({300, 1001}, kFloat32, 8);
  expect_thread_independent([&] { return sum(x); });
  expect_thread_independent([&] { return sum(m, 0); });
  expect_thread_independent([&] { return sum(m, 1); });
  expect_thread_independent([&] { return sum(m.t(), 1); });
  expect_thread_independent([&] { return mean(x.slice(0, 0, 1048587).reshape({-1, 3}), 0); });
  expect_thread_independent([&] { return amax(m, 1); });
  expect_thread_independent([&] { return argmax(x); });
  expect_thread_independent([&] { return softmax(m, 1); });
  expect_thread_independent([&] { return log_softmax(m, 0); });
  expect_thread_independent([&] { return cumsum(m, 1); });
}

std::vector<double> ref_softmax(const std::vector<double>& v, const Shape& shape, int64_t dim,
                                bool log) {
  std::vector<double> lse;
  for (const Group& g : groups_of(v, shape, {dim})) lse.push_back(ref_logsumexp(g));
  Shape keep = shape;
  keep[dim] = 1;
  std::vector<double> out(v.size());
  for (int64_t i = 0; i < static_cast<int64_t>(v.size()); ++i) {
    double shift = lse[test::broadcast_index(test::unravel(i, shape), keep)];
    out[i] = log ? v[i] - shift : std::exp(v[i] - shift);
  }
  return out;
}

std::vector<double> ref_cumsum(const std::vector<double>& v, const Shape& shape, int64_t dim) {
  Shape keep = shape;
  keep[dim] = 1;
  std::vector<double> out(v.size()), running(static_cast<size_t>(test::numel_of(keep)), 0.0);
  for (int64_t i = 0; i < static_cast<int64_t>(v.size()); ++i) {
    double& r = running[test::broadcast_index(test::unravel(i, shape), keep)];
    out[i] = r += v[i];
  }
  return out;
}

TEST(Softmax, MatchesFloat64OnEveryLayout) {
  for (const Shape& shape : {Shape{5, 7, 9}, Shape{3, 100, 70}, Shape{2, 3000}}) {
    for (int64_t dim = -1; dim < static_cast<int64_t>(shape.size()); ++dim) {
      if (dim == -1 && shape.size() > 2) continue;
      for (DType dtype : {kFloat32, kFloat64}) {
        for (bool strided : {false, true}) {
          Tensor x = random_tensor(shape, dtype, 2) * 4.0;
          if (strided) x = test::non_contiguous(x);
          int64_t d = dim < 0 ? dim + x.dim() : dim;
          double tolerance = dtype == kFloat32 ? 1e-12 : 1e-28;
          SCOPED_TRACE(shape_string(shape) + " dim " + std::to_string(dim));
          EXPECT_NMSE_BELOW(softmax(x, dim), ref_softmax(values_of(x), shape, d, false), tolerance);
          EXPECT_NMSE_BELOW(log_softmax(x, dim), ref_softmax(values_of(x), shape, d, true),
                            tolerance);
        }
      }
    }
  }
}

TEST(Softmax, IsStableForLargeAndInfiniteInputs) {
  Tensor x = from_vector<float>({1000, 1001, -INFINITY, 999, 20000, -20000}, {2, 3});
  std::vector<float> y = softmax(x, 1).to_vector<float>();
  EXPECT_NEAR(y[0], 1 / (1 + std::exp(1.0)), 1e-6);
  EXPECT_EQ(y[2], 0.0f);
  EXPECT_EQ(y[4], 1.0f);
  EXPECT_EQ(y[5], 0.0f);
  std::vector<float> l = log_softmax(x, 1).to_vector<float>();
  EXPECT_EQ(l[2], -INFINITY);
  EXPECT_NEAR(l[1], -std::log1p(std::exp(-1.0)), 1e-6);
  EXPECT_TRUE(std::isnan(softmax(from_vector<float>({1, NAN}), 0).to_vector<float>()[0]));
}

TEST(Softmax, Float32ExpIsWithinAFewUlp) {
  // softmax([0, t])[1] = exp(t) / (1 + exp(t)): its error is the exp's plus two roundings.
  int64_t n = 20000;
  std::vector<float> values(static_cast<size_t>(2 * n), 0.0f);
  for (int64_t i = 0; i < n; ++i) values[2 * i + 1] = -87.0f * static_cast<float>(i) / n;
  std::vector<float> y = softmax(from_vector(values, {n, 2}), 1).to_vector<float>();
  double worst = 0;
  for (int64_t i = 0; i < n; ++i) {
    double e = std::exp(static_cast<double>(values[2 * i + 1]));
    worst = std::max(worst, std::abs(y[2 * i + 1] - e / (1 + e)) / (e / (1 + e)));
  }
  EXPECT_LT(worst, 4 * std::numeric_limits<float>::epsilon());
}

TEST(Cumsum, MatchesFloat64AndPromotesIntegers) {
  for (const Shape& shape : {Shape{4, 5, 6}, Shape{3, 5000}, Shape{100, 3}}) {
    for (int64_t dim = 0; dim < static_cast<int64_t>(shape.size()); ++dim) {
      for (bool strided : {false, true}) {
        Tensor x = random_tensor(shape, kFloat32, 9);
        if (strided) x = test::non_contiguous(x);
        EXPECT_NMSE_BELOW(cumsum(x, dim), ref_cumsum(values_of(x), shape, dim), 1e-13);
        EXPECT_NMSE_BELOW(cumsum(x, dim - x.dim()), ref_cumsum(values_of(x), shape, dim), 1e-13);
      }
    }
  }
  Tensor i = from_vector<int32_t>({1, 2, 3, 4, 5, 6}, {2, 3});
  EXPECT_EQ(cumsum(i, 1).dtype(), kInt64);
  EXPECT_EQ(cumsum(i, 1).to_vector<int64_t>(), (std::vector<int64_t>{1, 3, 6, 4, 9, 15}));
  EXPECT_EQ(cumsum(from_vector<bool>({true, false, true}), 0).to_vector<int64_t>(),
            (std::vector<int64_t>{1, 1, 2}));
}

// ---- gradients ----

using Fn = std::function<Tensor(const std::vector<Tensor>&)>;

TEST(ReduceGrad, SumMeanProd) {
  Tensor x = random_tensor({3, 4, 5}, kFloat64, 12);
  for (const Dims& dims : {Dims{}, Dims{1}, Dims{0, 2}, Dims{-1}}) {
    for (bool keepdim : {false, true}) {
      expect_gradients_match([&](auto& in) { return sum(in[0], dims, keepdim); }, {x});
      expect_gradients_match([&](auto& in) { return mean(in[0], dims, keepdim); }, {x});
    }
  }
  Tensor small = random_tensor({3, 4}, kFloat64, 13);
  expect_gradients_match([](auto& in) { return prod(in[0], 1); }, {small});
  expect_gradients_match([](auto& in) { return prod(in[0]); }, {small});
  expect_gradients_match([](auto& in) { return sum(in[0].t(), {0, 1}); }, {small});
}

TEST(ReduceGrad, ProdWithZerosIsExact) {
  Tensor x = from_vector<double>({0, 2, 3, 0, 0, 5, 4, 2, -1}, {3, 3}).requires_grad_();
  prod(x, 1).sum().backward();
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{6, 0, 0, 0, 0, 0, -2, -4, 8}));
  Tensor y = from_vector<double>({0, 2, 3, 0, 0, 5, 4, 2, -1}, {3, 3});
  expect_gradients_match([](auto& in) { return prod(in[0], 0); }, {y});
}

TEST(ReduceGrad, ExtremesSplitTiesEvenly) {
  Tensor x = random_tensor({4, 5}, kFloat64, 14);
  expect_gradients_match([](auto& in) { return amax(in[0], 1); }, {x});
  expect_gradients_match([](auto& in) { return amin(in[0], {0, 1}, true); }, {x});
  expect_gradients_match([](auto& in) { return max(in[0]); }, {x});
  expect_gradients_match([](auto& in) { return min(in[0]); }, {x});
  Tensor t = from_vector<float>({1, 3, 3, 2}).requires_grad_();
  amax(t, 0).backward();
  EXPECT_EQ(t.grad().to_vector<float>(), (std::vector<float>{0, 0.5f, 0.5f, 0}));
}

TEST(ReduceGrad, LogsumexpVarStd) {
  Tensor x = random_tensor({3, 4, 5}, kFloat64, 15);
  for (const Dims& dims : {Dims{}, Dims{1}, Dims{0, 2}}) {
    expect_gradients_match([&](auto& in) { return logsumexp(in[0], dims); }, {x});
    expect_gradients_match([&](auto& in) { return var(in[0], dims); }, {x});
    expect_gradients_match([&](auto& in) { return std(in[0], dims, 0, true); }, {x});
  }
}

TEST(ReduceGrad, CumsumAndSoftmax) {
  Tensor x = random_tensor({3, 4, 5}, kFloat64, 16);
  for (int64_t dim : {0, 1, -1}) {
    expect_gradients_match([&](auto& in) { return cumsum(in[0], dim); }, {x});
    expect_gradients_match([&](auto& in) { return softmax(in[0], dim); }, {x});
    expect_gradients_match([&](auto& in) { return log_softmax(in[0], dim); }, {x});
  }
}

// ---- errors ----

TEST(ReduceErrors, NameTheOpAndTheProblem) {
  Tensor x = random_tensor({2, 3});
  expect_error([&] { sum(x, 2); }, "sum", "dimension 2 is out of range");
  expect_error([&] { mean(x, {1, -1}); }, "mean", "dimension -1 appears more than once");
  expect_error([&] { amax(x, {0, 0}); }, "amax", "appears more than once");
  expect_error([&] { argmax(zeros({0})); }, "argmax", "empty");
  expect_error([&] { argmin(zeros({2, 0}), 1); }, "argmin", "size 0");
  expect_error([&] { amax(zeros({2, 0}), 1); }, "amax", "size 0");
  expect_error([&] { max(zeros({0})); }, "max", "size 0");
  expect_error([&] { mean(ones({3}, kInt64)); }, "mean", "floating-point tensor, got int64");
  expect_error([&] { var(ones({3}, kInt32)); }, "var", "got int32");
  expect_error([&] { std(ones({3}, kBool)); }, "std", "got bool");
  expect_error([&] { softmax(ones({3}, kInt64), 0); }, "softmax", "got int64");
  expect_error([&] { log_softmax(x, 5); }, "log_softmax", "out of range");
  expect_error([&] { cumsum(x, -3); }, "cumsum", "out of range");
  expect_error([&] { sum(Tensor()); }, "sum", "undefined");
  expect_error([&] { argmax(Tensor()); }, "argmax", "undefined");
  expect_error([&] { all(Tensor()); }, "all", "undefined");
  expect_error([&] { logsumexp(Tensor(), {}); }, "logsumexp", "undefined");
}

}  // namespace
}  // namespace ember
