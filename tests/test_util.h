// Shared test helpers: random non-zero inputs, host references, error measures,
// finite-difference gradient checks, and checks of error messages.
#pragma once

#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "ember/ember.h"

namespace ember::test {

// Uniform in [-2, -0.5] U [0.5, 2]: no zeros, nothing near a kink of abs/relu.
inline std::vector<double> random_values(int64_t n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> magnitude(0.5, 2.0);
  std::bernoulli_distribution negative(0.5);
  std::vector<double> values(static_cast<size_t>(n));
  for (double& v : values) v = negative(gen) ? -magnitude(gen) : magnitude(gen);
  return values;
}

inline int64_t numel_of(const Shape& shape) {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  return n;
}

// A random non-zero tensor built on the host (independent of Ember's generator).
inline Tensor random_tensor(const Shape& shape, DType dtype = kFloat32, uint32_t seed = 1) {
  int64_t n = numel_of(shape);
  return from_vector(random_values(n, seed), Shape{n}).reshape(shape).to(dtype);
}

// The same values in a non-contiguous view: every other element of a wider tensor.
inline Tensor non_contiguous(const Tensor& t) {
  if (t.dim() == 0) return t;
  Shape wide = t.shape();
  wide.back() *= 2;
  Tensor storage = zeros(wide, t.dtype(), t.device());
  Tensor view = storage.slice(-1, 0, wide.back(), 2);
  view.copy_(t);
  return view;
}

inline std::vector<double> values_of(const Tensor& t) { return t.to_vector<double>(); }

// ||got - want||^2 / ||want||^2, after checking that NaN and Inf sit in the same places.
// Returns infinity on any mismatch of size or of non-finite values.
inline double normalized_error(const std::vector<double>& got, const std::vector<double>& want) {
  if (got.size() != want.size()) return INFINITY;
  double num = 0, den = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    bool got_finite = std::isfinite(got[i]), want_finite = std::isfinite(want[i]);
    if (got_finite != want_finite) return INFINITY;
    if (!want_finite) {
      if (std::isnan(got[i]) != std::isnan(want[i]) || (!std::isnan(got[i]) && got[i] != want[i]))
        return INFINITY;
      continue;
    }
    num += (got[i] - want[i]) * (got[i] - want[i]);
    den += want[i] * want[i];
  }
  if (den == 0) return num == 0 ? 0 : INFINITY;
  return num / den;
}

#define EXPECT_NMSE_BELOW(got_tensor, want_values, tolerance)                                 \
  do {                                                                                        \
    double nmse_ =                                                                            \
        ::ember::test::normalized_error(::ember::test::values_of(got_tensor), (want_values)); \
    EXPECT_LE(nmse_, (tolerance)) << "normalised squared error too large";                    \
  } while (false)

// Row-major coordinates of flat index i.
inline std::vector<int64_t> unravel(int64_t i, const Shape& shape) {
  std::vector<int64_t> coord(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    coord[d] = shape[d] == 0 ? 0 : i % shape[d];
    i = shape[d] == 0 ? 0 : i / shape[d];
  }
  return coord;
}

// Flat index into shape of coordinates of a (possibly larger) broadcast shape.
inline int64_t broadcast_index(const std::vector<int64_t>& coord, const Shape& shape) {
  int64_t index = 0, lead = static_cast<int64_t>(coord.size() - shape.size());
  for (size_t d = 0; d < shape.size(); ++d) {
    index = index * shape[d] + (shape[d] == 1 ? 0 : coord[d + lead]);
  }
  return index;
}

// Checks the analytic gradients of f at the float64 CPU inputs against central
// differences of sum(f(inputs) * w) for a random weight w (so grad_output is not all ones).
inline void expect_gradients_match(const std::function<Tensor(const std::vector<Tensor>&)>& f,
                                   std::vector<Tensor> inputs, double eps = 1e-6,
                                   double tolerance = 1e-6) {
  for (Tensor& x : inputs) {
    ASSERT_EQ(x.dtype(), kFloat64);
    x = x.detach().clone().requires_grad_(true);
  }
  Tensor out = f(inputs);
  Tensor weight = random_tensor(out.shape(), kFloat64, 99);
  auto loss_at = [&](const std::vector<Tensor>& xs) {
    NoGradGuard no_grad;
    return (f(xs) * weight).sum().item<double>();
  };
  (out * weight).sum().backward();
  for (size_t k = 0; k < inputs.size(); ++k) {
    Tensor grad = inputs[k].grad();
    ASSERT_TRUE(grad.defined()) << "no gradient reached input " << k;
    std::vector<double> analytic = grad.to_vector<double>();
    double* data = inputs[k].data_ptr<double>();
    for (int64_t i = 0; i < inputs[k].numel(); ++i) {
      double saved = data[i];
      data[i] = saved + eps;
      double plus = loss_at(inputs);
      data[i] = saved - eps;
      double minus = loss_at(inputs);
      data[i] = saved;
      double numeric = (plus - minus) / (2 * eps);
      EXPECT_NEAR(analytic[i], numeric, tolerance * std::max(1.0, std::abs(numeric)))
          << "input " << k << ", element " << i;
    }
  }
}

// A fresh directory for the running test, removed with its contents at the end.
class TestDirectory : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ember_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  std::filesystem::path dir_;
};

// Expects fn to raise ember::Error whose message starts with "[op]" and contains needle.
template <typename Fn>
void expect_error(Fn&& fn, const std::string& op, const std::string& needle = "") {
  try {
    fn();
    ADD_FAILURE() << "expected ember::Error from [" << op << "]";
  } catch (const Error& e) {
    std::string message = e.what();
    EXPECT_EQ(message.rfind("[" + op + "]", 0), 0u) << "message: " << message;
    EXPECT_NE(message.find(needle), std::string::npos) << "message: " << message;
  }
}

}  // namespace ember::test
