// The CPU primitives on float16 and bfloat16 tensors, called directly (the front end may
// still cast around them): float64 references computed from the same 16-bit values, and
// bit-for-bit agreement with the float32 kernels where those compute the same thing.
//
// Tolerances: a result computed in float32 and rounded once to a 16-bit type is off by at
// most the unit roundoff u (2^-11 for float16, 2^-8 for bfloat16) relative to itself, so
// its normalised squared error ||a-b||^2/||b||^2 is at most u^2; the bounds below are
// 2 u^2 to leave room for float32's own rounding, and state it where they differ.
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "backend/cpu/half.h"
#include "core/backend.h"
#include "core/tensor_impl.h"
#include "ops/op_utils.h"
#include "test_util.h"

namespace ember {
namespace {

using test::expect_error;
using test::normalized_error;

Backend& cpu() { return backend_for(kCPU); }

class Cpu16Bit : public ::testing::TestWithParam<DType> {
 protected:
  DType dtype() const { return GetParam(); }
  double unit_roundoff() const { return dtype() == kFloat16 ? 0x1p-11 : 0x1p-8; }
  double tolerance() const { return 2 * unit_roundoff() * unit_roundoff(); }
  // Random non-zero values, already representable in dtype().
  Tensor input(const Shape& shape, uint32_t seed) const {
    return test::random_tensor(shape, kFloat32, seed).to(dtype());
  }
  // A fresh output: NaN bytes under EMBER_POISON_MEMORY=1.
  Tensor output(const Shape& shape, DType dtype) const {
    return make_tensor(shape, dtype, kCPU, "test");
  }
  Tensor output(const Shape& shape) const { return output(shape, dtype()); }
};

std::vector<uint16_t> bits(const Tensor& t) {
  Tensor c = t.contiguous();
  std::vector<uint16_t> values(static_cast<size_t>(c.numel()));
  std::memcpy(values.data(), c.impl()->data(), values.size() * sizeof(uint16_t));
  return values;
}

std::vector<double> values(const Tensor& t) { return t.to_vector<double>(); }

// ---- conversions ----

TEST(Cpu16BitConversion, EveryHalfAndBFloat16PatternWidensAsTheLibrary) {
  for (uint32_t pattern = 0; pattern < 65536; ++pattern) {
    Half h;
    h.bits = static_cast<uint16_t>(pattern);
    BFloat16 b;
    b.bits = static_cast<uint16_t>(pattern);
    ASSERT_EQ(std::bit_cast<uint32_t>(cpu::half_bits_to_float(h.bits)),
              std::bit_cast<uint32_t>(static_cast<float>(h)))
        << pattern;
    ASSERT_EQ(std::bit_cast<uint32_t>(cpu::bfloat16_bits_to_float(b.bits)),
              std::bit_cast<uint32_t>(static_cast<float>(b)))
        << pattern;
  }
}

// Random bit patterns (NaNs, infinities, subnormals included), every float16 value and
// the exact midpoints between neighbouring float16 and bfloat16 values (the ties).
std::vector<float> conversion_inputs() {
  std::vector<float> inputs;
  std::mt19937 gen(7);
  for (int i = 0; i < 1 << 21; ++i)
    inputs.push_back(std::bit_cast<float>(static_cast<uint32_t>(gen())));
  for (uint32_t pattern = 0; pattern < 65536; ++pattern) {
    Half h;
    h.bits = static_cast<uint16_t>(pattern);
    float value = static_cast<float>(h);
    uint32_t f = std::bit_cast<uint32_t>(value);
    inputs.push_back(value);
    inputs.push_back(std::bit_cast<float>(f + (1u << 12)));             // a float16 tie when normal
    inputs.push_back(std::bit_cast<float>((pattern << 16) | 0x8000u));  // a bfloat16 tie
    inputs.push_back(std::bit_cast<float>(f + 1));
    // Ties between float16 subnormals: odd multiples of 2^-25.
    inputs.push_back(static_cast<float>(2 * static_cast<int>(pattern & 0x3ff) + 1) * 0x1p-25f);
  }
  return inputs;
}

TEST(Cpu16BitConversion, NarrowingRoundsAsTheLibraryForEveryKindOfFloat) {
  std::vector<float> inputs = conversion_inputs();
  std::vector<Half> halves(inputs.size());
  std::vector<BFloat16> bfloats(inputs.size());
  cpu::narrow(inputs.data(), halves.data(), static_cast<int64_t>(inputs.size()));
  cpu::narrow(inputs.data(), bfloats.data(), static_cast<int64_t>(inputs.size()));
  std::vector<float> back(inputs.size());
  cpu::widen(halves.data(), back.data(), static_cast<int64_t>(inputs.size()));
  for (size_t i = 0; i < inputs.size(); ++i) {
    float x = inputs[i];
    ASSERT_EQ(cpu::float_to_half_bits(x), Half(x).bits) << std::bit_cast<uint32_t>(x);
    ASSERT_EQ(halves[i].bits, Half(x).bits) << std::bit_cast<uint32_t>(x);
    ASSERT_EQ(cpu::float_to_bfloat16_bits(x), BFloat16(x).bits) << std::bit_cast<uint32_t>(x);
    ASSERT_EQ(bfloats[i].bits, BFloat16(x).bits) << std::bit_cast<uint32_t>(x);
    ASSERT_EQ(std::bit_cast<uint32_t>(back[i]),
              std::bit_cast<uint32_t>(static_cast<float>(halves[i])));
  }
}

// ---- elementwise ----

// The primitive on 16-bit x gives bit for bit what the float32 primitive gives on x's
// values, rounded, and that is within 2 u^2 of the float64 function.
void expect_unary_matches(DType dtype, double tolerance, UnaryOp op, const Tensor& x,
                          double (*reference)(double)) {
  Tensor out = make_tensor(x.shape(), dtype, kCPU, "test");
  cpu().unary(op, x, out);
  Tensor x32 = ops::cast(x, kFloat32, "test");
  Tensor out32 = make_tensor(x.shape(), kFloat32, kCPU, "test");
  cpu().unary(op, x32, out32);
  EXPECT_EQ(bits(out), bits(ops::cast(out32, dtype, "test"))) << unary_op_name(op);
  std::vector<double> want = values(x);
  for (double& v : want) v = reference(v);
  EXPECT_LE(normalized_error(values(out), want), tolerance) << unary_op_name(op);
}

TEST_P(Cpu16Bit, UnaryOpsOnContiguousAndStridedInput) {
  Tensor base = input({37, 53}, 1);
  Tensor positive = ops::cast(input({37, 53}, 2).abs(), dtype(), "test");
  struct Case {
    UnaryOp op;
    double (*reference)(double);
    bool positive_only;
  };
  const Case cases[] = {
      {UnaryOp::Exp, [](double v) { return std::exp(v); }, false},
      {UnaryOp::Tanh, [](double v) { return std::tanh(v); }, false},
      {UnaryOp::Sigmoid, [](double v) { return 1 / (1 + std::exp(-v)); }, false},
      {UnaryOp::GeluErf, [](double v) { return 0.5 * v * std::erfc(-v / std::sqrt(2.0)); }, false},
      {UnaryOp::Sin, [](double v) { return std::sin(v); }, false},
      {UnaryOp::Neg, [](double v) { return -v; }, false},
      {UnaryOp::Abs, [](double v) { return std::abs(v); }, false},
      {UnaryOp::Relu, [](double v) { return v < 0 ? 0.0 : v; }, false},
      {UnaryOp::Sign, [](double v) { return v < 0 ? -1.0 : 1.0; }, false},
      {UnaryOp::Reciprocal, [](double v) { return 1 / v; }, false},
      {UnaryOp::Log, [](double v) { return std::log(v); }, true},
      {UnaryOp::Sqrt, [](double v) { return std::sqrt(v); }, true},
  };
  for (const Case& c : cases) {
    Tensor x = c.positive_only ? positive : base;
    expect_unary_matches(dtype(), tolerance(), c.op, x, c.reference);
    expect_unary_matches(dtype(), tolerance(), c.op, x.t(), c.reference);
    expect_unary_matches(dtype(), tolerance(), c.op, x.slice(1, 1, 53, 3), c.reference);
  }
}

TEST_P(Cpu16Bit, UnaryPropagatesNanAndInfinityAndPredicatesWriteBool) {
  Tensor x =
      ops::cast(from_vector(std::vector<double>{NAN, INFINITY, -INFINITY, 1.5, -0.0}, Shape{5}),
                dtype(), "test");
  Tensor out = output({5});
  cpu().unary(UnaryOp::Exp, x, out);
  std::vector<double> got = values(out);
  EXPECT_TRUE(std::isnan(got[0]));
  EXPECT_EQ(got[1], INFINITY);
  EXPECT_EQ(got[2], 0.0);
  Tensor nan = output({5}, kBool), inf = output({5}, kBool);
  cpu().unary(UnaryOp::IsNan, x, nan);
  cpu().unary(UnaryOp::IsInf, x, inf);
  EXPECT_EQ(nan.to_vector<bool>(), (std::vector<bool>{true, false, false, false, false}));
  EXPECT_EQ(inf.to_vector<bool>(), (std::vector<bool>{false, true, true, false, false}));
}

TEST_P(Cpu16Bit, BinaryOpsWithBroadcastAndStridedOperands) {
  Shape shape{29, 301};  // the rows pass one conversion block of 256
  Tensor a = input(shape, 3), b_row = input({1, 301}, 4);
  Tensor b = ops::expand_view(b_row, shape);
  Tensor a_strided = test::non_contiguous(a);
  for (BinaryOp op : {BinaryOp::Add, BinaryOp::Sub, BinaryOp::Mul, BinaryOp::Div, BinaryOp::Maximum,
                      BinaryOp::Minimum}) {
    for (const Tensor& lhs : {a, a_strided}) {
      Tensor out = output(shape);
      cpu().binary(op, lhs, b, out);
      std::vector<double> va = values(lhs), vb = values(b), want(va.size());
      for (size_t i = 0; i < va.size(); ++i) {
        switch (op) {
          case BinaryOp::Add:
            want[i] = va[i] + vb[i];
            break;
          case BinaryOp::Sub:
            want[i] = va[i] - vb[i];
            break;
          case BinaryOp::Mul:
            want[i] = va[i] * vb[i];
            break;
          case BinaryOp::Div:
            want[i] = va[i] / vb[i];
            break;
          case BinaryOp::Maximum:
            want[i] = std::max(va[i], vb[i]);
            break;
          default:
            want[i] = std::min(va[i], vb[i]);
            break;
        }
      }
      EXPECT_LE(normalized_error(values(out), want), tolerance()) << binary_op_name(op);
      Tensor out32 = output(shape, kFloat32);
      cpu().binary(op, ops::cast(lhs, kFloat32, "test"), ops::cast(b, kFloat32, "test"), out32);
      EXPECT_EQ(bits(out), bits(ops::cast(out32, dtype(), "test"))) << binary_op_name(op);
    }
  }
  Tensor less = output(shape, kBool);
  cpu().binary(BinaryOp::Lt, a, b, less);
  std::vector<double> va = values(a), vb = values(b);
  std::vector<bool> got = less.to_vector<bool>();
  for (size_t i = 0; i < va.size(); ++i) ASSERT_EQ(got[i], va[i] < vb[i]) << i;
}

TEST_P(Cpu16Bit, ScalarOperandStaysFloat32AndClampAndWhere) {
  Shape shape{13, 71};
  Tensor a = input(shape, 5);
  Tensor out = output(shape);
  cpu().binary_scalar(BinaryOp::Sub, a, Scalar(0.1), /*scalar_first=*/true, out);
  std::vector<double> va = values(a), want(va.size());
  // The scalar enters as float32 0.1, as the float32 kernel on the cast values sees it.
  for (size_t i = 0; i < va.size(); ++i) want[i] = static_cast<double>(0.1f) - va[i];
  EXPECT_LE(normalized_error(values(out), want), tolerance());

  Tensor clamped = output(shape);
  cpu().clamp(a.t().contiguous().t(), Scalar(-1.0), Scalar(0.75), clamped);
  for (size_t i = 0; i < va.size(); ++i) want[i] = std::clamp(va[i], -1.0, 0.75);
  EXPECT_EQ(values(clamped), want);

  Tensor b = input(shape, 6), condition = output(shape, kBool);
  cpu().binary(BinaryOp::Gt, a, b, condition);
  Tensor chosen = output(shape);
  cpu().where(condition, a, b, chosen);
  std::vector<double> vb = values(b);
  for (size_t i = 0; i < va.size(); ++i) want[i] = std::max(va[i], vb[i]);
  EXPECT_EQ(values(chosen), want);
}

// ---- reductions ----

std::vector<double> row_sums(const std::vector<double>& x, int64_t rows, int64_t cols,
                             bool columns) {
  std::vector<double> sums(static_cast<size_t>(columns ? cols : rows), 0.0);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c)
      sums[static_cast<size_t>(columns ? c : r)] += x[r * cols + c];
  }
  return sums;
}

TEST_P(Cpu16Bit, SumAndMeanOverRowsAndColumnsAccumulateInFloat32) {
  // Rows of 20001 pass the 8192-element chunks; a 16-bit accumulator would lose most of
  // the sum, float32 keeps it within the output's rounding.
  int64_t rows = 7, cols = 20001;
  Tensor x = input({rows, cols}, 8);
  std::vector<double> vx = values(x);
  for (bool columns : {false, true}) {
    std::vector<int64_t> dims{columns ? 0 : 1};
    Shape shape = columns ? Shape{1, cols} : Shape{rows, 1};
    std::vector<double> want = row_sums(vx, rows, cols, columns);
    Tensor sum = output(shape), mean = output(shape);
    cpu().reduce(ReduceOp::Sum, x, dims, sum);
    cpu().reduce(ReduceOp::Mean, x, dims, mean);
    // float32's rounding in the blocked sums is about 2^-24 sqrt(n) of the terms' size,
    // far below u of the sums, so the output's rounding dominates.
    EXPECT_LE(normalized_error(values(sum), want), tolerance());
    for (double& v : want) v /= static_cast<double>(columns ? rows : cols);
    EXPECT_LE(normalized_error(values(mean), want), tolerance());
  }
}

TEST_P(Cpu16Bit, ProdMaxMinArgmaxAndNanPropagation) {
  int64_t rows = 5, cols = 41;
  Tensor x = input({rows, cols}, 9);
  std::vector<double> vx = values(x);
  std::vector<double> prod(rows, 1.0), max(rows, -INFINITY), min(rows, INFINITY);
  std::vector<int64_t> argmax(rows, 0);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) {
      double v = vx[r * cols + c];
      prod[r] *= v;
      if (v > max[r]) max[r] = v, argmax[r] = c;
      min[r] = std::min(min[r], v);
    }
  }
  Tensor p = output({rows, 1}), hi = output({rows, 1}), lo = output({rows, 1});
  Tensor arg = output({rows, 1}, kInt64);
  cpu().reduce(ReduceOp::Prod, x, {1}, p);
  cpu().reduce(ReduceOp::Max, x, {1}, hi);
  cpu().reduce(ReduceOp::Min, x, {1}, lo);
  cpu().reduce(ReduceOp::ArgMax, x, {1}, arg);
  // A product of 41 float32 factors: float32's 41 roundings stay far below u.
  EXPECT_LE(normalized_error(values(p), prod), tolerance());
  EXPECT_EQ(values(hi), max);  // extremes are exact
  EXPECT_EQ(values(lo), min);
  EXPECT_EQ(arg.to_vector<int64_t>(), argmax);

  Tensor with_nan = ops::cast(
      from_vector(std::vector<double>{1, NAN, 3, INFINITY, -2, 5}, Shape{2, 3}), dtype(), "test");
  Tensor s = output({2, 1}), m = output({2, 1});
  Tensor am = output({2, 1}, kInt64);
  cpu().reduce(ReduceOp::Sum, with_nan, {1}, s);
  cpu().reduce(ReduceOp::Max, with_nan, {1}, m);
  cpu().reduce(ReduceOp::ArgMax, with_nan, {1}, am);
  std::vector<double> vs = values(s), vm = values(m);
  EXPECT_TRUE(std::isnan(vs[0]));
  EXPECT_EQ(vs[1], INFINITY);
  EXPECT_TRUE(std::isnan(vm[0]));
  EXPECT_EQ(am.to_vector<int64_t>(), (std::vector<int64_t>{1, 0}));
}

TEST_P(Cpu16Bit, ReductionsAndCumsumDoNotDependOnTheThreadCount) {
  Tensor x = input({3, 50001}, 10);
  Tensor tall = input({20001, 67}, 11);
  auto run = [&] {
    std::vector<std::vector<uint16_t>> results;
    for (ReduceOp op : {ReduceOp::Sum, ReduceOp::Mean, ReduceOp::Prod}) {
      Tensor rows = output({3, 1}), columns = output({1, 67});
      cpu().reduce(op, x, {1}, rows);
      cpu().reduce(op, tall, {0}, columns);
      results.push_back(bits(rows));
      results.push_back(bits(columns));
    }
    Tensor cumulative = output(tall.shape());
    cpu().cumsum(tall, 0, cumulative);
    results.push_back(bits(cumulative));
    return results;
  };
  int threads = get_num_threads();
  set_num_threads(1);
  auto one = run();
  set_num_threads(2);
  auto two = run();
  set_num_threads(threads);
  EXPECT_EQ(one, two);
}

TEST_P(Cpu16Bit, CumsumAlongEitherDim) {
  int64_t rows = 23, cols = 97;
  Tensor x = input({rows, cols}, 12);
  std::vector<double> vx = values(x);
  for (int64_t dim : {0, 1}) {
    Tensor out = output(x.shape());
    cpu().cumsum(x, dim, out);
    std::vector<double> want(vx.size());
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t c = 0; c < cols; ++c) {
        int64_t i = r * cols + c, previous = dim == 0 ? i - cols : i - 1;
        bool first = dim == 0 ? r == 0 : c == 0;
        want[i] = vx[i] + (first ? 0.0 : want[previous]);
      }
    }
    EXPECT_LE(normalized_error(values(out), want), tolerance()) << dim;
  }
}

TEST_P(Cpu16Bit, SoftmaxAndLogSoftmaxOverEitherDim) {
  int64_t rows = 19, cols = 301;
  Tensor x = input({rows, cols}, 13);
  std::vector<double> vx = values(x);
  for (int64_t dim : {0, 1}) {
    for (bool log : {false, true}) {
      Tensor out = output(x.shape());
      cpu().softmax(x, dim, log, out);
      int64_t n = dim == 1 ? cols : rows, groups = dim == 1 ? rows : cols;
      std::vector<double> want(vx.size());
      for (int64_t g = 0; g < groups; ++g) {
        auto at = [&](int64_t k) { return dim == 1 ? g * cols + k : k * cols + g; };
        double max = -INFINITY, sum = 0;
        for (int64_t k = 0; k < n; ++k) max = std::max(max, vx[at(k)]);
        for (int64_t k = 0; k < n; ++k) sum += std::exp(vx[at(k)] - max);
        for (int64_t k = 0; k < n; ++k) {
          double shifted = vx[at(k)] - max;
          want[at(k)] = log ? shifted - std::log(sum) : std::exp(shifted) / sum;
        }
      }
      EXPECT_LE(normalized_error(values(out), want), tolerance()) << dim << log;
    }
  }
}

// ---- layer norm and cross-entropy ----

TEST_P(Cpu16Bit, LayerNormForwardAndBackwardKeepStatisticsInFloat32) {
  int64_t rows = 9, cols = 83;
  Tensor x = input({rows, cols}, 14), weight = input({cols}, 15), bias = input({cols}, 16);
  Tensor grad = input({rows, cols}, 17);
  Tensor out = output({rows, cols}), grad_x = output({rows, cols});
  Tensor mean = output({rows}, kFloat32), rstd = output({rows}, kFloat32);
  double eps = 1e-5;
  cpu().layer_norm(x, weight, bias, eps, out, mean, rstd);
  cpu().layer_norm_backward(grad, x, weight, mean, rstd, grad_x);
  std::vector<double> vx = values(x), w = values(weight), b = values(bias), g = values(grad);
  std::vector<double> want(vx.size()), want_grad(vx.size()), want_mean(rows), want_rstd(rows);
  for (int64_t r = 0; r < rows; ++r) {
    double m = 0, var = 0;
    for (int64_t c = 0; c < cols; ++c) m += vx[r * cols + c] / static_cast<double>(cols);
    for (int64_t c = 0; c < cols; ++c) var += std::pow(vx[r * cols + c] - m, 2) / cols;
    double inv = 1 / std::sqrt(var + eps), sum_g = 0, sum_gx = 0;
    want_mean[r] = m;
    want_rstd[r] = inv;
    for (int64_t c = 0; c < cols; ++c) {
      double xhat = (vx[r * cols + c] - m) * inv, gw = g[r * cols + c] * w[c];
      want[r * cols + c] = xhat * w[c] + b[c];
      sum_g += gw;
      sum_gx += gw * xhat;
    }
    for (int64_t c = 0; c < cols; ++c) {
      double xhat = (vx[r * cols + c] - m) * inv, gw = g[r * cols + c] * w[c];
      want_grad[r * cols + c] = inv * (gw - sum_g / cols - xhat * sum_gx / cols);
    }
  }
  EXPECT_LE(normalized_error(values(out), want), tolerance());
  EXPECT_LE(normalized_error(values(grad_x), want_grad), tolerance());
  // float32 statistics: off by float32 rounding only.
  EXPECT_LE(normalized_error(values(mean), want_mean), 1e-12);
  EXPECT_LE(normalized_error(values(rstd), want_rstd), 1e-12);
  expect_error([&] { cpu().layer_norm(x, weight, bias, eps, out, output({rows}), output({rows})); },
               "layer_norm", "expects mean and rstd of dtype float32");
}

TEST_P(Cpu16Bit, CrossEntropyLossesAndGradientsInTheLogitsDtype) {
  int64_t rows = 11, classes = 37, ignore = -100;
  double smoothing = 0.1;
  Tensor logits = input({rows, classes}, 18), grad_losses = input({rows}, 19);
  std::vector<int64_t> targets;
  for (int64_t n = 0; n < rows; ++n) targets.push_back(n == 4 ? ignore : (n * 7) % classes);
  Tensor target = from_vector(targets, Shape{rows});
  Tensor losses = output({rows}), grad = output({rows, classes});
  cpu().cross_entropy(logits, target, ignore, smoothing, losses);
  cpu().cross_entropy_backward(logits, target, ignore, smoothing, grad_losses, grad);
  std::vector<double> vl = values(logits), gl = values(grad_losses);
  std::vector<double> want(rows, 0.0), want_grad(vl.size(), 0.0);
  for (int64_t n = 0; n < rows; ++n) {
    if (targets[n] == ignore) continue;
    double max = -INFINITY, sum = 0, mean = 0;
    for (int64_t c = 0; c < classes; ++c) max = std::max(max, vl[n * classes + c]);
    for (int64_t c = 0; c < classes; ++c) sum += std::exp(vl[n * classes + c] - max);
    for (int64_t c = 0; c < classes; ++c) mean += vl[n * classes + c] / classes;
    double lse = max + std::log(sum);
    want[n] = (1 - smoothing) * (lse - vl[n * classes + targets[n]]) + smoothing * (lse - mean);
    for (int64_t c = 0; c < classes; ++c) {
      double wanted = (c == targets[n] ? 1 - smoothing : 0) + smoothing / classes;
      want_grad[n * classes + c] = gl[n] * (std::exp(vl[n * classes + c] - lse) - wanted);
    }
  }
  EXPECT_LE(normalized_error(values(losses), want), tolerance());
  EXPECT_LE(normalized_error(values(grad), want_grad), tolerance());
}

// ---- indexing ----

TEST_P(Cpu16Bit, EmbeddingForwardAndBackwardThroughIndexSelectAndIndexAdd) {
  int64_t vocab = 17, width = 301, tokens = 40;
  Tensor table = input({vocab, width}, 20);
  std::vector<int64_t> ids;
  for (int64_t t = 0; t < tokens; ++t) ids.push_back((t * 5) % 7);  // repeats
  Tensor index = from_vector(ids, Shape{tokens});
  Tensor rows = output({tokens, width});
  cpu().index_select(table, 0, index, rows);
  std::vector<double> vt = values(table), got = values(rows);
  for (int64_t t = 0; t < tokens; ++t) {
    for (int64_t c = 0; c < width; ++c) ASSERT_EQ(got[t * width + c], vt[ids[t] * width + c]);
  }
  Tensor grad = input({tokens, width}, 21);
  Tensor accumulated = table.clone();
  cpu().index_add(accumulated, 0, index, grad);
  std::vector<double> vg = values(grad), want = vt;
  for (int64_t t = 0; t < tokens; ++t) {
    for (int64_t c = 0; c < width; ++c) want[ids[t] * width + c] += vg[t * width + c];
  }
  // Each destination sums its (up to 6) contributions in float32 and rounds once: one
  // rounding of the exact sum, hence 2 u^2.
  EXPECT_LE(normalized_error(values(accumulated), want), tolerance());
}

TEST_P(Cpu16Bit, GatherAndScatterAdd) {
  int64_t rows = 13, cols = 29;
  Tensor x = input({rows, cols}, 22), src = input({rows, cols}, 23);
  std::vector<int64_t> idx;
  for (int64_t i = 0; i < rows * cols; ++i) idx.push_back((i * 7 + i / cols) % 5);
  Tensor index = from_vector(idx, Shape{rows, cols});
  Tensor gathered = output({rows, cols});
  cpu().gather(x, 0, index, gathered);
  std::vector<double> vx = values(x), got = values(gathered);
  for (int64_t i = 0; i < rows * cols; ++i) ASSERT_EQ(got[i], vx[idx[i] * cols + i % cols]);
  Tensor out = x.clone();
  cpu().scatter_add(out, 0, index, src);
  std::vector<double> vs = values(src), want = vx;
  for (int64_t i = 0; i < rows * cols; ++i) want[idx[i] * cols + i % cols] += vs[i];
  // scatter_add rounds after each add, as PyTorch's CPU kernel: a destination receives
  // at most 6 adds here, so its error stays below 6 u relative, (6 u)^2 in all.
  double u = unit_roundoff();
  EXPECT_LE(normalized_error(values(out), want), 36 * u * u);
}

// ---- Adam ----

TEST_P(Cpu16Bit, AdamStepComputesInFloat32AndStoresStateInTheParameterDtype) {
  int64_t n = 1001;
  Tensor param = input({n}, 24), grad = input({n}, 25);
  Tensor m = ops::cast(input({n}, 26) * Scalar(0.1), dtype(), "test");
  Tensor v = ops::cast(input({n}, 27).abs() * Scalar(0.01), dtype(), "test");
  std::vector<double> p0 = values(param), g = values(grad), m0 = values(m), v0 = values(v);
  AdamStep step{1e-2, 0.9, 0.999, 1e-8, 0.01, true, 3};
  std::vector<AdamTensors> group{{param, grad, m, v}};
  cpu().adam_step(group, step);
  std::vector<double> want_p(n), want_m(n), want_v(n);
  for (int64_t i = 0; i < n; ++i) {
    double p = p0[i] * (1 - step.lr * step.weight_decay);
    want_m[i] = step.beta1 * m0[i] + (1 - step.beta1) * g[i];
    want_v[i] = step.beta2 * v0[i] + (1 - step.beta2) * g[i] * g[i];
    double step_size = step.lr / (1 - std::pow(step.beta1, 3));
    double denom = std::sqrt(want_v[i]) / std::sqrt(1 - std::pow(step.beta2, 3)) + step.eps;
    want_p[i] = p - step_size * want_m[i] / denom;
  }
  EXPECT_LE(normalized_error(values(param), want_p), tolerance());
  EXPECT_LE(normalized_error(values(m), want_m), tolerance());
  EXPECT_LE(normalized_error(values(v), want_v), tolerance());
  std::vector<AdamTensors> mixed{{param, ops::cast(grad, kFloat32, "test"), m, v}};
  expect_error([&] { cpu().adam_step(mixed, step); }, "adam_step", "float32");
}

// ---- random ----

TEST_P(Cpu16Bit, RandomNumbersAreFloat32sRoundedOnStore) {
  int64_t n = 4099;
  for (Distribution d : {Distribution::Uniform, Distribution::Normal}) {
    Tensor out = output({n}), out32 = output({n}, kFloat32);
    cpu().random(d, 42, 5, 0.0, 1.0, out);
    cpu().random(d, 42, 5, 0.0, 1.0, out32);
    std::vector<double> want = values(ops::cast(out32, dtype(), "test"));
    if (d == Distribution::Uniform) {
      // Float32 numbers that round up to 1 give the last 16-bit value below it instead.
      double below_one = 1 - unit_roundoff();
      for (double& v : want) v = std::min(v, below_one);
    }
    EXPECT_EQ(values(out), want) << (d == Distribution::Uniform ? "uniform" : "normal");
  }
  // Uniform values in [1, 2) that round past the last 16-bit value below 2 are kept below it.
  Tensor u = output({n});
  cpu().random(Distribution::Uniform, 3, 0, 1.0, 2.0, u);
  for (double v : values(u)) ASSERT_TRUE(v >= 1.0 && v < 2.0) << v;
}

// ---- matmul ----

std::vector<double> reference_matmul(const Tensor& a, const Tensor& b) {
  int64_t batch = a.size(0), m = a.size(1), k = a.size(2), n = b.size(2);
  std::vector<double> va = values(a), vb = values(b), c(static_cast<size_t>(batch * m * n), 0.0);
  for (int64_t i = 0; i < batch; ++i) {
    for (int64_t r = 0; r < m; ++r) {
      for (int64_t p = 0; p < k; ++p) {
        double av = va[(i * m + r) * k + p];
        for (int64_t j = 0; j < n; ++j) c[(i * m + r) * n + j] += av * vb[(i * k + p) * n + j];
      }
    }
  }
  return c;
}

void expect_matmul(DType dtype, double tolerance, const Tensor& a, const Tensor& b) {
  Tensor out = make_tensor({a.size(0), a.size(1), b.size(2)}, dtype, kCPU, "test");
  cpu().matmul(a, b, out);
  EXPECT_LE(normalized_error(values(out), reference_matmul(a, b)), tolerance)
      << "m " << a.size(1) << ", k " << a.size(2) << ", n " << b.size(2);
}

TEST_P(Cpu16Bit, MatmulAccumulatesInFloat32ForEveryLayout) {
  Tensor a = input({3, 37, 53}, 28), b = input({3, 53, 29}, 29);
  expect_matmul(dtype(), tolerance(), a, b);
  // Column-major operands, and a batch stride of 0.
  Tensor a_cols = input({3, 53, 37}, 30).transpose(1, 2);
  Tensor b_cols = input({3, 29, 53}, 31).transpose(1, 2);
  expect_matmul(dtype(), tolerance(), a_cols, b_cols);
  expect_matmul(dtype(), tolerance(), a, ops::expand_view(input({1, 53, 29}, 32), {3, 53, 29}));
  // Rows further apart than their length.
  expect_matmul(dtype(), tolerance(), input({3, 37, 80}, 33).narrow(2, 0, 53), b);
}

TEST_P(Cpu16Bit, MatmulPastOneTileInEveryDim) {
  // 530 x 1100 @ 1100 x 517: two output tiles each way and three slices of k.
  Tensor a = input({1, 530, 1100}, 34), b = input({1, 1100, 517}, 35);
  expect_matmul(dtype(), tolerance(), a, b);
  expect_matmul(dtype(), tolerance(), input({1, 1100, 530}, 36).transpose(1, 2), b);
}

INSTANTIATE_TEST_SUITE_P(Dtypes, Cpu16Bit, ::testing::Values(kFloat16, kBFloat16),
                         [](const auto& info) { return std::string(dtype_name(info.param)); });

// ---- what still refuses 16-bit input ----

TEST(Cpu16BitErrors, UnsupportedCombinationsNameTheDtype) {
  Tensor x = test::random_tensor({4, 5}, kFloat16);
  expect_error(
      [&] {
        cpu().reduce(ReduceOp::All, x, {1}, make_tensor({4, 1}, kBool, kCPU, "t"));
      },
      "reduce", "bool input");
  Tensor ints = test::random_tensor({4, 5}, kInt64);
  expect_error(
      [&] {
        cpu().softmax(ints, 1, false, make_tensor({4, 5}, kInt64, kCPU, "t"));
      },
      "softmax", "int64");
}

}  // namespace
}  // namespace ember
