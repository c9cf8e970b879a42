// Elementwise ops: forward against float64 host references, promotion, gradients, errors.
#include <cmath>
#include <functional>
#include <limits>

#include "test_util.h"

namespace ember {
namespace {

using test::expect_error;
using test::expect_gradients_match;
using test::random_tensor;
using test::random_values;

using HostFn = std::function<double(double)>;
using HostFn2 = std::function<double(double, double)>;

std::vector<double> map_host(const std::vector<double>& v, const HostFn& f) {
  std::vector<double> out;
  for (double x : v) out.push_back(f(x));
  return out;
}

// Expected values of f over the broadcast of a and b (shapes as given).
std::vector<double> broadcast_host(const Tensor& a, const Tensor& b, const HostFn2& f) {
  Shape shape = broadcast_shapes(a.shape(), b.shape());
  std::vector<double> va = a.to_vector<double>(), vb = b.to_vector<double>(), out;
  for (int64_t i = 0; i < test::numel_of(shape); ++i) {
    auto coord = test::unravel(i, shape);
    out.push_back(f(va[test::broadcast_index(coord, a.shape())],
                    vb[test::broadcast_index(coord, b.shape())]));
  }
  return out;
}

// Positive inputs for ops defined on (0, inf), in [0.5, 2].
Tensor positive(const Shape& shape, DType dtype, uint32_t seed = 3) {
  return abs(random_tensor(shape, kFloat64, seed)).to(dtype);
}

double gelu_ref(double x) { return 0.5 * x * std::erfc(-x / std::sqrt(2.0)); }
double gelu_tanh_ref(double x) {
  return 0.5 * x * (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x)));
}
double sigmoid_ref(double x) { return 1 / (1 + std::exp(-x)); }

struct UnaryCase {
  const char* name;
  std::function<Tensor(const Tensor&)> op;
  HostFn ref;
  bool positive_only;
};

std::vector<UnaryCase> unary_cases() {
  return {
      {"neg", [](const Tensor& x) { return neg(x); }, [](double x) { return -x; }, false},
      {"abs", [](const Tensor& x) { return abs(x); }, [](double x) { return std::abs(x); }, false},
      {"exp", [](const Tensor& x) { return exp(x); }, [](double x) { return std::exp(x); }, false},
      {"log", [](const Tensor& x) { return log(x); }, [](double x) { return std::log(x); }, true},
      {"log1p", [](const Tensor& x) { return log1p(x); }, [](double x) { return std::log1p(x); },
       true},
      {"expm1", [](const Tensor& x) { return expm1(x); }, [](double x) { return std::expm1(x); },
       false},
      {"sqrt", [](const Tensor& x) { return sqrt(x); }, [](double x) { return std::sqrt(x); },
       true},
      {"rsqrt", [](const Tensor& x) { return rsqrt(x); }, [](double x) { return 1 / std::sqrt(x); },
       true},
      {"sin", [](const Tensor& x) { return sin(x); }, [](double x) { return std::sin(x); }, false},
      {"cos", [](const Tensor& x) { return cos(x); }, [](double x) { return std::cos(x); }, false},
      {"tanh", [](const Tensor& x) { return tanh(x); }, [](double x) { return std::tanh(x); },
       false},
      {"sigmoid", [](const Tensor& x) { return sigmoid(x); }, sigmoid_ref, false},
      {"relu", [](const Tensor& x) { return relu(x); }, [](double x) { return x > 0 ? x : 0; },
       false},
      {"gelu", [](const Tensor& x) { return gelu(x); }, gelu_ref, false},
      {"gelu_tanh", [](const Tensor& x) { return gelu(x, "tanh"); }, gelu_tanh_ref, false},
      {"silu", [](const Tensor& x) { return silu(x); }, [](double x) { return x * sigmoid_ref(x); },
       false},
      {"softplus", [](const Tensor& x) { return softplus(x); },
       [](double x) { return std::log1p(std::exp(x)); }, false},
      {"erf", [](const Tensor& x) { return erf(x); }, [](double x) { return std::erf(x); }, false},
      {"floor", [](const Tensor& x) { return floor(x * 3); },
       [](double x) { return std::floor(x * 3); }, false},
      {"ceil", [](const Tensor& x) { return ceil(x * 3); },
       [](double x) { return std::ceil(x * 3); }, false},
      {"round", [](const Tensor& x) { return round(x * 3); },
       [](double x) { return std::nearbyint(x * 3); }, false},
      {"sign", [](const Tensor& x) { return sign(x); }, [](double x) { return x > 0 ? 1 : -1; },
       false},
      {"reciprocal", [](const Tensor& x) { return reciprocal(x); }, [](double x) { return 1 / x; },
       false},
      {"square", [](const Tensor& x) { return square(x); }, [](double x) { return x * x; }, false},
  };
}

TEST(Unary, MatchesFloat64ReferenceInEveryLayout) {
  for (const UnaryCase& c : unary_cases()) {
    for (DType dtype : {kFloat32, kFloat64}) {
      SCOPED_TRACE(std::string(c.name) + " " + dtype_name(dtype));
      Shape shape{5, 37};
      Tensor x = c.positive_only ? positive(shape, dtype) : random_tensor(shape, dtype);
      std::vector<double> want = map_host(x.to_vector<double>(), c.ref);
      Tensor y = c.op(x);
      EXPECT_EQ(y.dtype(), dtype);
      EXPECT_EQ(y.shape(), shape);
      EXPECT_NMSE_BELOW(y, want, 1e-12);
      EXPECT_NMSE_BELOW(c.op(test::non_contiguous(x)), want, 1e-12);
      EXPECT_NMSE_BELOW(c.op(x.t()).t(), want, 1e-12);
    }
  }
}

TEST(Unary, LargeInputsUseEveryThread) {
  Tensor x = random_tensor({100003});
  EXPECT_NMSE_BELOW(exp(x), map_host(x.to_vector<double>(), [](double v) { return std::exp(v); }),
                    1e-13);
  EXPECT_NMSE_BELOW(x * x, map_host(x.to_vector<double>(), [](double v) { return v * v; }), 1e-13);
}

// Relative error of a float32 op over a wide, dense range, in float32 ulps at the result.
double max_ulps(const std::function<Tensor(const Tensor&)>& op, const HostFn& ref, double lo,
                double hi) {
  int64_t n = 200001;
  Tensor x = linspace(lo, hi, n, kFloat32);
  std::vector<double> got = op(x).to_vector<double>(), in = x.to_vector<double>();
  double worst = 0;
  for (int64_t i = 0; i < n; ++i) {
    double want = ref(in[i]);
    if (std::abs(want) < std::numeric_limits<float>::min()) continue;
    double ulp = std::ldexp(1.0, std::ilogb(static_cast<float>(want)) - 23);
    worst = std::max(worst, std::abs(got[i] - want) / ulp);
  }
  return worst;
}

TEST(Unary, Float32TranscendentalsAreAccurateOverTheirRange) {
  EXPECT_LE(max_ulps([](const Tensor& x) { return exp(x); }, [](double v) { return std::exp(v); },
                     -87, 88.7),
            2.0);
  EXPECT_LE(max_ulps([](const Tensor& x) { return tanh(x); }, [](double v) { return std::tanh(v); },
                     -9, 9),
            3.0);
  EXPECT_LE(max_ulps([](const Tensor& x) { return sigmoid(x); }, sigmoid_ref, -80, 30), 4.0);
  EXPECT_LE(
      max_ulps([](const Tensor& x) { return erf(x); }, [](double v) { return std::erf(v); }, -4, 4),
      4.0);
  // Below -4 the rounding of x / sqrt(2) alone costs more ulps (the tail is steep).
  EXPECT_LE(max_ulps([](const Tensor& x) { return gelu(x); }, gelu_ref, -4, 12), 24.0);
  EXPECT_LE(max_ulps([](const Tensor& x) { return silu(x); },
                     [](double v) { return v * sigmoid_ref(v); }, -80, 80),
            4.0);
}

TEST(Unary, SpecialValues) {
  Tensor x = from_vector<float>({INFINITY, -INFINITY, NAN, 0.0f, -200.0f, 200.0f, -95.0f});
  std::vector<float> e = exp(x).to_vector<float>();
  EXPECT_EQ(e[0], INFINITY);
  EXPECT_EQ(e[1], 0.0f);
  EXPECT_TRUE(std::isnan(e[2]));
  EXPECT_EQ(e[3], 1.0f);
  EXPECT_EQ(e[4], 0.0f);
  EXPECT_EQ(e[5], INFINITY);
  EXPECT_NEAR(e[6], std::exp(-95.0), 2e-45);  // subnormal
  std::vector<float> t = tanh(x).to_vector<float>();
  EXPECT_EQ(t[0], 1.0f);
  EXPECT_EQ(t[1], -1.0f);
  EXPECT_TRUE(std::isnan(t[2]));
  EXPECT_EQ(sigmoid(x).to_vector<float>()[4], 0.0f);
  EXPECT_EQ(isnan(x).to_vector<bool>(),
            (std::vector<bool>{false, false, true, false, false, false, false}));
  EXPECT_EQ(isinf(x).to_vector<bool>(),
            (std::vector<bool>{true, true, false, false, false, false, false}));
  EXPECT_EQ(logical_not(x).to_vector<bool>(),
            (std::vector<bool>{false, false, false, true, false, false, false}));
  EXPECT_EQ(relu(x).to_vector<float>()[1], 0.0f);
  EXPECT_EQ(softplus(from_vector<float>({30.0f})).item<float>(), 30.0f);
}

TEST(Unary, RoundSendsHalvesToEven) {
  Tensor x = from_vector<double>({0.5, 1.5, 2.5, -0.5, -2.5, 3.7});
  EXPECT_EQ(round(x).to_vector<double>(), (std::vector<double>{0, 2, 2, -0.0, -2, 4}));
}

TEST(Unary, IntegerInputsFollowPyTorch) {
  Tensor i = from_vector<int64_t>({-3, 0, 2});
  EXPECT_EQ(exp(i).dtype(), kFloat32);
  EXPECT_NMSE_BELOW(exp(i), (std::vector<double>{std::exp(-3.0), 1, std::exp(2.0)}), 1e-13);
  EXPECT_EQ(sqrt(from_vector<int32_t>({4})).dtype(), kFloat32);
  EXPECT_EQ(abs(i).dtype(), kInt64);
  EXPECT_EQ(abs(i).to_vector<int64_t>(), (std::vector<int64_t>{3, 0, 2}));
  EXPECT_EQ(neg(i).to_vector<int64_t>(), (std::vector<int64_t>{3, 0, -2}));
  EXPECT_EQ(sign(i).to_vector<int64_t>(), (std::vector<int64_t>{-1, 0, 1}));
  EXPECT_EQ(square(i).to_vector<int64_t>(), (std::vector<int64_t>{9, 0, 4}));
  EXPECT_EQ(relu(i).to_vector<int64_t>(), (std::vector<int64_t>{0, 0, 2}));
  EXPECT_EQ(floor(i).dtype(), kInt64);
  EXPECT_EQ(round(i).to_vector<int64_t>(), (std::vector<int64_t>{-3, 0, 2}));
  EXPECT_EQ(square(from_vector<bool>({true, false})).dtype(), kInt64);
  EXPECT_EQ(logical_not(i).to_vector<bool>(), (std::vector<bool>{false, true, false}));
  EXPECT_EQ(isnan(i).to_vector<bool>(), (std::vector<bool>{false, false, false}));
  EXPECT_EQ(abs(from_vector<uint8_t>({200})).item<int64_t>(), 200);
}

TEST(Unary, HalfTypesRoundTripThroughFloat32) {
  for (DType dtype : {kFloat16, kBFloat16}) {
    Tensor x = random_tensor({4, 9}, dtype);
    std::vector<double> in = x.to_vector<double>();
    for (const auto& [op, ref] :
         std::vector<std::pair<std::function<Tensor(const Tensor&)>, HostFn>>{
             {[](const Tensor& t) { return exp(t); }, [](double v) { return std::exp(v); }},
             {[](const Tensor& t) { return neg(t); }, [](double v) { return -v; }},
             {[](const Tensor& t) { return gelu(t); }, gelu_ref}}) {
      Tensor y = op(x);
      EXPECT_EQ(y.dtype(), dtype);
      // One rounding to 8 (bfloat16) or 11 (float16) bits.
      EXPECT_NMSE_BELOW(y, map_host(in, ref), dtype == kFloat16 ? 1e-6 : 3e-5);
    }
  }
}

struct BinaryCase {
  const char* name;
  std::function<Tensor(const Tensor&, const Tensor&)> op;
  HostFn2 ref;
};

std::vector<BinaryCase> binary_cases() {
  return {
      {"add", [](const Tensor& a, const Tensor& b) { return a + b; },
       [](double a, double b) { return a + b; }},
      {"add_alpha", [](const Tensor& a, const Tensor& b) { return add(a, b, 2.5); },
       [](double a, double b) { return a + 2.5 * b; }},
      {"sub", [](const Tensor& a, const Tensor& b) { return a - b; },
       [](double a, double b) { return a - b; }},
      {"sub_alpha", [](const Tensor& a, const Tensor& b) { return sub(a, b, 3); },
       [](double a, double b) { return a - 3 * b; }},
      {"mul", [](const Tensor& a, const Tensor& b) { return a * b; },
       [](double a, double b) { return a * b; }},
      {"div", [](const Tensor& a, const Tensor& b) { return a / b; },
       [](double a, double b) { return a / b; }},
      {"pow", [](const Tensor& a, const Tensor& b) { return pow(abs(a), b); },
       [](double a, double b) { return std::pow(std::abs(a), b); }},
      {"maximum", [](const Tensor& a, const Tensor& b) { return maximum(a, b); },
       [](double a, double b) { return std::max(a, b); }},
      {"minimum", [](const Tensor& a, const Tensor& b) { return minimum(a, b); },
       [](double a, double b) { return std::min(a, b); }},
      {"remainder", [](const Tensor& a, const Tensor& b) { return remainder(a * 5, b); },
       [](double a, double b) { return a * 5 - b * std::floor(a * 5 / b); }},
  };
}

TEST(Binary, MatchesFloat64ReferenceWithBroadcasting) {
  std::vector<std::pair<Shape, Shape>> shapes = {
      {{6, 7}, {6, 7}}, {{3, 1, 5}, {4, 1}}, {{4, 5}, {}}, {{}, {4, 5}}, {{1, 9}, {7, 1}}};
  for (const BinaryCase& c : binary_cases()) {
    for (DType dtype : {kFloat32, kFloat64}) {
      for (const auto& [sa, sb] : shapes) {
        SCOPED_TRACE(std::string(c.name) + " " + dtype_name(dtype) + " " + shape_string(sa) + " " +
                     shape_string(sb));
        Tensor a = random_tensor(sa, dtype, 5), b = random_tensor(sb, dtype, 6);
        std::vector<double> want = broadcast_host(a, b, c.ref);
        Tensor y = c.op(a, b);
        EXPECT_EQ(y.dtype(), dtype);
        EXPECT_EQ(y.shape(), broadcast_shapes(sa, sb));
        EXPECT_NMSE_BELOW(y, want, 1e-12);
        EXPECT_NMSE_BELOW(c.op(test::non_contiguous(a), test::non_contiguous(b)), want, 1e-12);
      }
    }
  }
}

TEST(Binary, LargeBroadcastRowsAndThreads) {
  Tensor a = random_tensor({300, 257}), b = random_tensor({257}, kFloat32, 2);
  Tensor c = random_tensor({300, 1}, kFloat32, 3);
  EXPECT_NMSE_BELOW(a + b, broadcast_host(a, b, std::plus<double>()), 1e-13);
  EXPECT_NMSE_BELOW(a * c, broadcast_host(a, c, std::multiplies<double>()), 1e-13);
  EXPECT_NMSE_BELOW(b - c, broadcast_host(b, c, std::minus<double>()), 1e-13);
  EXPECT_NMSE_BELOW(a.t() * c.t(),
                    broadcast_host(a.t().contiguous(), c.t(), std::multiplies<double>()), 1e-13);
}

TEST(Binary, ScalarForms) {
  Tensor a = random_tensor({3, 4}, kFloat64);
  std::vector<double> v = a.to_vector<double>();
  EXPECT_NMSE_BELOW(a + 2, map_host(v, [](double x) { return x + 2; }), 1e-15);
  EXPECT_NMSE_BELOW(2 + a, map_host(v, [](double x) { return x + 2; }), 1e-15);
  EXPECT_NMSE_BELOW(a - 1.5, map_host(v, [](double x) { return x - 1.5; }), 1e-15);
  EXPECT_NMSE_BELOW(1.5 - a, map_host(v, [](double x) { return 1.5 - x; }), 1e-15);
  EXPECT_NMSE_BELOW(a * 3, map_host(v, [](double x) { return x * 3; }), 1e-15);
  EXPECT_NMSE_BELOW(a / 4, map_host(v, [](double x) { return x / 4; }), 1e-15);
  EXPECT_NMSE_BELOW(4 / a, map_host(v, [](double x) { return 4 / x; }), 1e-15);
  EXPECT_NMSE_BELOW(pow(a, 3), map_host(v, [](double x) { return x * x * x; }), 1e-15);
  EXPECT_NMSE_BELOW(pow(abs(a), 0.5), map_host(v, [](double x) { return std::sqrt(std::abs(x)); }),
                    1e-15);
  EXPECT_NMSE_BELOW(pow(2, a), map_host(v, [](double x) { return std::pow(2, x); }), 1e-15);
  EXPECT_NMSE_BELOW(remainder(a, -0.75),
                    map_host(v, [](double x) { return x - -0.75 * std::floor(x / -0.75); }), 1e-15);
}

TEST(Binary, ComparisonsAndLogicalOpsWriteBool) {
  Tensor a = from_vector<float>({1, 2, 3, NAN}), b = from_vector<float>({3, 2, 1, NAN});
  auto bools = [](const Tensor& t) {
    EXPECT_EQ(t.dtype(), kBool);
    return t.to_vector<bool>();
  };
  EXPECT_EQ(bools(a == b), (std::vector<bool>{false, true, false, false}));
  EXPECT_EQ(bools(a != b), (std::vector<bool>{true, false, true, true}));
  EXPECT_EQ(bools(a < b), (std::vector<bool>{true, false, false, false}));
  EXPECT_EQ(bools(a <= b), (std::vector<bool>{true, true, false, false}));
  EXPECT_EQ(bools(a > b), (std::vector<bool>{false, false, true, false}));
  EXPECT_EQ(bools(a >= b), (std::vector<bool>{false, true, true, false}));
  EXPECT_EQ(bools(a > 1.5), (std::vector<bool>{false, true, true, false}));
  EXPECT_EQ(bools(from_vector<int64_t>({1, 2}) == 1.5), (std::vector<bool>{false, false}));
  EXPECT_EQ(bools(eq(from_vector<int32_t>({2}), 2)), (std::vector<bool>{true}));
  Tensor p = from_vector<bool>({true, true, false, false}),
         q = from_vector<bool>({true, false, true, false});
  EXPECT_EQ(bools(p & q), (std::vector<bool>{true, false, false, false}));
  EXPECT_EQ(bools(p | q), (std::vector<bool>{true, true, true, false}));
  EXPECT_EQ(bools(!p), (std::vector<bool>{false, false, true, true}));
  EXPECT_EQ(bools(logical_and(a, from_vector<float>({0, 1, 1, 0}))),
            (std::vector<bool>{false, true, true, false}));
  // NaN wins in maximum and minimum.
  EXPECT_TRUE(std::isnan(maximum(a, b).to_vector<float>()[3]));
  EXPECT_TRUE(
      std::isnan(minimum(from_vector<float>({NAN}), from_vector<float>({1})).item<float>()));
}

TEST(Binary, TypePromotionFollowsPyTorch) {
  Tensor i32 = from_vector<int32_t>({7, -7}), i64 = from_vector<int64_t>({2, 2});
  EXPECT_EQ((i32 + i64).dtype(), kInt64);
  EXPECT_EQ((i32 + scalar_tensor(1, kInt64)).dtype(), kInt32);        // 0-dim ranks below dims
  EXPECT_EQ((i32 + scalar_tensor(1.5, kFloat64)).dtype(), kFloat64);  // higher category
  EXPECT_EQ((i32 * 2.5).dtype(), kFloat32);
  EXPECT_EQ((i32 * 2).dtype(), kInt32);
  EXPECT_EQ((random_tensor({2}, kFloat16) * random_tensor({2})).dtype(), kFloat32);
  EXPECT_EQ((random_tensor({2}, kFloat16) * 2.0).dtype(), kFloat16);
  EXPECT_EQ((from_vector<bool>({true}) + from_vector<bool>({true})).to_vector<bool>()[0], true);
  Tensor q = i32 / i64;
  EXPECT_EQ(q.dtype(), kFloat32);
  EXPECT_EQ(q.to_vector<float>(), (std::vector<float>{3.5f, -3.5f}));
  EXPECT_EQ((1 / i64).to_vector<float>(), (std::vector<float>{0.5f, 0.5f}));
  EXPECT_EQ(remainder(i32, i64.to(kInt32)).to_vector<int32_t>(), (std::vector<int32_t>{1, 1}));
  EXPECT_EQ(remainder(i32, -3).to_vector<int32_t>(), (std::vector<int32_t>{-2, -1}));
  EXPECT_EQ(pow(i32, 2).to_vector<int32_t>(), (std::vector<int32_t>{49, 49}));
  EXPECT_EQ(pow(i64, i64).to_vector<int64_t>(), (std::vector<int64_t>{4, 4}));
  EXPECT_EQ(maximum(i32, from_vector<int32_t>({0, 0})).to_vector<int32_t>(),
            (std::vector<int32_t>{7, 0}));
  EXPECT_EQ(add(i32, i32, 3).to_vector<int32_t>(), (std::vector<int32_t>{28, -28}));
  // Integer overflow wraps as two's complement.
  Tensor big = from_vector<int32_t>({std::numeric_limits<int32_t>::max()});
  EXPECT_EQ((big + 1).item<int32_t>(), std::numeric_limits<int32_t>::min());
}

TEST(Binary, HalfTypesComputeInFloat32) {
  for (DType dtype : {kFloat16, kBFloat16}) {
    Tensor a = random_tensor({5, 3}, dtype, 1), b = random_tensor({3}, dtype, 2);
    Tensor y = a * b + a;
    EXPECT_EQ(y.dtype(), dtype);
    std::vector<double> want = broadcast_host(a, b, [](double x, double w) { return x * w + x; });
    EXPECT_NMSE_BELOW(y, want, dtype == kFloat16 ? 1e-6 : 3e-5);
  }
}

TEST(Select, WhereClampMaskedFill) {
  Tensor c = from_vector<bool>({true, false, true});
  Tensor a = from_vector<float>({1, 2, 3}), b = from_vector<float>({10, 20, 30});
  EXPECT_EQ(where(c, a, b).to_vector<float>(), (std::vector<float>{1, 20, 3}));
  EXPECT_EQ(where(c, a, -1).to_vector<float>(), (std::vector<float>{1, -1, 3}));
  EXPECT_EQ(where(c, 0.5, b).to_vector<float>(), (std::vector<float>{0.5f, 20, 0.5f}));
  Tensor grid = where(c.reshape({3, 1}), a, from_vector<double>({7}));
  EXPECT_EQ(grid.shape(), (Shape{3, 3}));
  EXPECT_EQ(grid.dtype(), kFloat64);
  EXPECT_EQ(grid.to_vector<double>(), (std::vector<double>{1, 2, 3, 7, 7, 7, 1, 2, 3}));
  Tensor x = from_vector<float>({-3, -0.5, 0.5, 3, NAN});
  std::vector<float> clamped = clamp(x, -1, 1).to_vector<float>();
  EXPECT_EQ(std::vector<float>(clamped.begin(), clamped.end() - 1),
            (std::vector<float>{-1, -0.5, 0.5, 1}));
  EXPECT_TRUE(std::isnan(clamped.back()));
  EXPECT_EQ(clamp_min(x, 0).to_vector<float>()[0], 0.0f);
  EXPECT_EQ(clamp_max(x, 0).to_vector<float>()[3], 0.0f);
  Tensor ints = from_vector<int64_t>({-5, 5});
  EXPECT_EQ(clamp(ints, -2, 2).to_vector<int64_t>(), (std::vector<int64_t>{-2, 2}));
  EXPECT_EQ(clamp(ints, 0.5, std::nullopt).dtype(), kFloat32);
  EXPECT_EQ(clamp_min(from_vector<uint8_t>({3}), -7).item<int64_t>(), 3);
  EXPECT_EQ(x.clamp(0, 2).to_vector<float>()[3], 2.0f);
  Tensor m = random_tensor({2, 3}).masked_fill(from_vector<bool>({false, true, false}), 9);
  std::vector<float> mv = m.to_vector<float>();
  EXPECT_EQ(mv[1], 9.0f);
  EXPECT_EQ(mv[4], 9.0f);
  EXPECT_NE(mv[0], 9.0f);
  Tensor nc = test::non_contiguous(random_tensor({4, 6}, kFloat64));
  std::vector<double> want =
      map_host(nc.to_vector<double>(), [](double v) { return v > 0 ? v : 0; });
  EXPECT_NMSE_BELOW(where(nc > 0, nc, 0), want, 1e-15);
}

TEST(Select, AllcloseAndEqual) {
  Tensor a = from_vector<float>({1, 2, INFINITY}), b = from_vector<float>({1, 2.00001f, INFINITY});
  EXPECT_TRUE(allclose(a, b));
  EXPECT_FALSE(allclose(a, b, 0, 1e-9));
  EXPECT_FALSE(allclose(a, from_vector<float>({1, 2, -INFINITY})));
  Tensor n = from_vector<float>({NAN});
  EXPECT_FALSE(allclose(n, n));
  EXPECT_TRUE(allclose(n, n, 1e-5, 1e-8, true));
  EXPECT_TRUE(equal(a, a.clone()));
  EXPECT_FALSE(equal(a, b));
  EXPECT_FALSE(equal(a, a.reshape({3, 1})));
}

// Gradient checks at inputs away from each op's kinks.
TEST(Gradients, UnaryOps) {
  for (const UnaryCase& c : unary_cases()) {
    std::string name = c.name;
    if (name == "floor" || name == "ceil" || name == "round" || name == "sign") continue;
    SCOPED_TRACE(name);
    Tensor x = c.positive_only ? positive({2, 5}, kFloat64) : random_tensor({2, 5}, kFloat64);
    expect_gradients_match([&](const std::vector<Tensor>& in) { return c.op(in[0]); }, {x});
  }
}

TEST(Gradients, PiecewiseConstantOpsHaveZeroGradient) {
  for (auto op : {floor, ceil, round, sign}) {
    Tensor x = random_tensor({4}, kFloat64).requires_grad_(true);
    (op(x) * x).sum().backward();
    EXPECT_EQ(x.grad().to_vector<double>(), op(x.detach()).to_vector<double>());
  }
}

TEST(Gradients, BinaryOpsWithBroadcasting) {
  for (const BinaryCase& c : binary_cases()) {
    SCOPED_TRACE(c.name);
    Tensor a = random_tensor({3, 4}, kFloat64, 5), b = random_tensor({4}, kFloat64, 6);
    expect_gradients_match([&](const std::vector<Tensor>& in) { return c.op(in[0], in[1]); },
                           {a, b});
  }
}

TEST(Gradients, ScalarFormsWhereClampMaskedFill) {
  Tensor x = random_tensor({2, 3}, kFloat64);
  Tensor cond = from_vector<bool>({true, false, true});
  auto check = [&](const std::function<Tensor(const Tensor&)>& f, const Tensor& at) {
    expect_gradients_match([&](const std::vector<Tensor>& in) { return f(in[0]); }, {at});
  };
  check([](const Tensor& t) { return 3 - t * 2 + 1; }, x);
  check([](const Tensor& t) { return 2 / t - t / 4; }, x);
  check([](const Tensor& t) { return pow(t, 3) + pow(abs(t), 1.5) + pow(2, t); }, x);
  check([](const Tensor& t) { return remainder(t, 0.7); }, x);
  check([](const Tensor& t) { return clamp(t, -1, 1) + clamp_min(t, 0.1) + clamp_max(t, 0.3); }, x);
  check([&](const Tensor& t) { return where(cond, t, 0) + where(cond, 1.0, t * t); }, x);
  check([&](const Tensor& t) { return t.masked_fill(cond, 2); }, x);
  Tensor b = random_tensor({3}, kFloat64, 7);
  expect_gradients_match([&](const std::vector<Tensor>& in) { return where(cond, in[0], in[1]); },
                         {x, b});
}

TEST(Gradients, TiesInMaximumSplitEvenly) {
  Tensor a = from_vector<double>({1, 2, 3}).requires_grad_(true);
  Tensor b = from_vector<double>({1, 5, 0}).requires_grad_(true);
  maximum(a, b).sum().backward();
  EXPECT_EQ(a.grad().to_vector<double>(), (std::vector<double>{0.5, 0, 1}));
  EXPECT_EQ(b.grad().to_vector<double>(), (std::vector<double>{0.5, 1, 0}));
}

TEST(Gradients, MixedDtypesGiveEachInputItsOwnType) {
  Tensor a = random_tensor({3}, kFloat32).requires_grad_(true);
  Tensor b = random_tensor({3}, kFloat64).requires_grad_(true);
  (a * b).sum().backward();
  EXPECT_EQ(a.grad().dtype(), kFloat32);
  EXPECT_EQ(b.grad().dtype(), kFloat64);
  EXPECT_NMSE_BELOW(a.grad(), b.detach().to_vector<double>(), 1e-13);
}

TEST(Errors, NameTheOpAndTheProblem) {
  Tensor a = random_tensor({2, 3}), b = random_tensor({4});
  expect_error([&] { a + b; }, "add", "[2,3] and [4] cannot be broadcast");
  expect_error([&] { a* b; }, "mul", "cannot be broadcast");
  expect_error([&] { where(a > 0, a, b); }, "where", "cannot be broadcast");
  expect_error([&] { exp(Tensor()); }, "exp", "undefined");
  expect_error([&] { a - Tensor(); }, "sub", "undefined");
  expect_error([&] { gelu(a, "fast"); }, "gelu", "got 'fast'");
  expect_error([&] { neg(from_vector<bool>({true})); }, "neg", "bool");
  expect_error([&] { from_vector<bool>({true}) - from_vector<bool>({true}); }, "sub", "bool");
  expect_error([&] { where(a, a, a); }, "where", "condition must be bool, got float32");
  expect_error([&] { a.masked_fill(a, 1); }, "masked_fill", "mask must be bool");
  expect_error([&] { clamp(a, std::nullopt, std::nullopt); }, "clamp", "at least one");
  expect_error([&] { pow(from_vector<int64_t>({2}), -1); }, "pow", "negative integer powers");
  expect_error([&] { remainder(from_vector<int64_t>({2}), 0); }, "remainder", "division by zero");
  expect_error([&] { add(from_vector<int64_t>({2}), from_vector<int64_t>({2}), 0.5); }, "add",
               "alpha must be an integer");
}

}  // namespace
}  // namespace ember
