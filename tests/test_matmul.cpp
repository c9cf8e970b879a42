// matmul: every torch.matmul shape case, layouts BLAS reads in place or not, dtypes,
// gradients and errors, against plain double loops.
#include <cstdint>

#include "test_util.h"

namespace ember {
namespace {

using test::expect_error;
using test::expect_gradients_match;
using test::random_tensor;

// a @ b computed with loops over double, following torch.matmul's shape rules.
struct Product {
  Shape shape;
  std::vector<double> values;
};

Shape matrix_shape(const Shape& s, bool left) {
  if (s.size() != 1) return s;
  return left ? Shape{1, s[0]} : Shape{s[0], 1};
}

Product reference_matmul(const Tensor& a, const Tensor& b) {
  Shape sa = matrix_shape(a.shape(), true), sb = matrix_shape(b.shape(), false);
  std::vector<double> va = a.to_vector<double>(), vb = b.to_vector<double>();
  int64_t m = sa[sa.size() - 2], k = sa.back(), n = sb.back();
  Shape batch_a(sa.begin(), sa.end() - 2), batch_b(sb.begin(), sb.end() - 2);
  Shape batch = broadcast_shapes(batch_a, batch_b);
  int64_t count = test::numel_of(batch);
  Product p;
  p.values.assign(static_cast<size_t>(count * m * n), 0.0);
  for (int64_t t = 0; t < count; ++t) {
    std::vector<int64_t> coord = test::unravel(t, batch);
    int64_t ta = test::broadcast_index(coord, batch_a), tb = test::broadcast_index(coord, batch_b);
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < n; ++j) {
        double acc = 0;
        for (int64_t q = 0; q < k; ++q) acc += va[(ta * m + i) * k + q] * vb[(tb * k + q) * n + j];
        p.values[(t * m + i) * n + j] = acc;
      }
    }
  }
  p.shape = batch;
  if (a.dim() > 1) p.shape.push_back(m);
  if (b.dim() > 1) p.shape.push_back(n);
  return p;
}

void expect_matches_reference(const Tensor& a, const Tensor& b, double tolerance) {
  Tensor got = matmul(a, b);
  Product want = reference_matmul(a, b);
  EXPECT_EQ(got.shape(), want.shape) << shape_string(a.shape()) << " @ " << shape_string(b.shape());
  EXPECT_EQ(got.dtype(), a.dtype());
  EXPECT_NMSE_BELOW(got, want.values, tolerance);
}

const std::vector<std::pair<Shape, Shape>> kShapeCases = {
    {{7}, {7}},                    // dot: 0-dim result
    {{5}, {5, 3}},                 // vector @ matrix
    {{4, 5}, {5}},                 // matrix @ vector
    {{4, 5}, {5, 3}},              // matrix @ matrix
    {{2, 4, 5}, {2, 5, 3}},        // batches
    {{2, 1, 4, 5}, {3, 5, 3}},     // batches that broadcast both ways
    {{2, 3, 4, 5}, {5, 3}},        // batches @ one matrix
    {{4, 5}, {2, 5, 3}},           // one matrix @ batches
    {{5}, {2, 5, 3}},              // vector @ batches
    {{2, 3, 4, 5}, {5}},           // batches @ vector
    {{1, 4, 5}, {2, 2, 5, 3}},     // size-1 batch broadcast with more dims on the right
    {{3, 1, 4, 5}, {1, 2, 5, 1}},  // N = 1 with broadcast
};

TEST(Matmul, EveryShapeCaseFloat32AndFloat64) {
  uint32_t seed = 1;
  for (const auto& [sa, sb] : kShapeCases) {
    expect_matches_reference(random_tensor(sa, kFloat32, seed),
                             random_tensor(sb, kFloat32, seed + 1), 1e-12);
    expect_matches_reference(random_tensor(sa, kFloat64, seed),
                             random_tensor(sb, kFloat64, seed + 1), 1e-26);
    seed += 2;
  }
}

TEST(Matmul, DotIsZeroDim) {
  Tensor d = matmul(from_vector<float>({1, 2, 3}), from_vector<float>({4, 5, 6}));
  EXPECT_EQ(d.dim(), 0);
  EXPECT_EQ(d.item<float>(), 32.0f);
}

TEST(Matmul, LargeEnoughToSplitAcrossThreads) {
  expect_matches_reference(random_tensor({130, 257}, kFloat32, 3),
                           random_tensor({257, 71}, kFloat32, 4), 1e-12);
  // Wider than tall: threads split the columns.
  expect_matches_reference(random_tensor({33, 300}, kFloat32, 34),
                           random_tensor({300, 190}, kFloat32, 35).t().contiguous().t(), 1e-12);
  expect_matches_reference(random_tensor({3, 65, 129}, kFloat64, 5),
                           random_tensor({129, 67}, kFloat64, 6), 1e-26);
}

TEST(Matmul, TransposedOperandsAreReadInPlace) {
  Tensor a = random_tensor({6, 4}, kFloat32, 7).t();  // [4, 6], column-major
  Tensor b = random_tensor({3, 6}, kFloat32, 8).t();  // [6, 3], column-major
  expect_matches_reference(a, b, 1e-12);
  expect_matches_reference(a, random_tensor({6, 3}, kFloat32, 9), 1e-12);
  expect_matches_reference(random_tensor({4, 6}, kFloat32, 10), b, 1e-12);
  Tensor batch_a = random_tensor({2, 6, 4}, kFloat64, 11).transpose(1, 2);
  Tensor batch_b = random_tensor({2, 3, 6}, kFloat64, 12).transpose(1, 2);
  expect_matches_reference(batch_a, batch_b, 1e-26);
}

TEST(Matmul, NonContiguousOperands) {
  // Every other element: neither last stride is 1, so these are copied.
  expect_matches_reference(test::non_contiguous(random_tensor({4, 6}, kFloat32, 13)),
                           test::non_contiguous(random_tensor({6, 3}, kFloat32, 14)), 1e-12);
  // Rows of a wider matrix: a leading dimension larger than the row.
  Tensor wide = random_tensor({5, 9}, kFloat64, 15);
  expect_matches_reference(wide.slice(1, 2, 7), random_tensor({5, 4}, kFloat64, 16), 1e-26);
  // Batch dim in the middle of memory, and a broadcast row.
  Tensor permuted = random_tensor({4, 3, 5}, kFloat64, 17).permute({1, 0, 2});
  expect_matches_reference(permuted, random_tensor({3, 5, 2}, kFloat64, 18), 1e-26);
  Tensor broadcast_row = random_tensor({1, 5}, kFloat64, 19).expand({4, 5});
  expect_matches_reference(broadcast_row, random_tensor({5, 2}, kFloat64, 20), 1e-26);
  Tensor broadcast_batch = random_tensor({1, 4, 5}, kFloat64, 21).expand({3, 4, 5});
  expect_matches_reference(broadcast_batch, random_tensor({3, 5, 2}, kFloat64, 22), 1e-26);
}

Tensor random_integers(const Shape& shape, DType dtype, int64_t low, int64_t high, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int64_t> dist(low, high);
  std::vector<int64_t> values(static_cast<size_t>(test::numel_of(shape)));
  for (int64_t& v : values) v = dist(gen);
  return from_vector(values, shape).to(dtype);
}

TEST(Matmul, IntegersAreExact) {
  for (DType dtype : {kInt32, kInt64}) {
    Tensor a = random_integers({2, 3, 7}, dtype, -50, 50, 23);
    Tensor b = random_integers({7, 4}, dtype, -50, 50, 24);
    Tensor got = matmul(a, b.t().contiguous().t());
    EXPECT_EQ(got.dtype(), dtype);
    EXPECT_EQ(got.to_vector<double>(), reference_matmul(a, b).values);
  }
  Tensor v = random_integers({9}, kInt64, -1000, 1000, 25);
  EXPECT_EQ(matmul(v, v).item<int64_t>(), reference_matmul(v, v).values[0]);
}

TEST(Matmul, UInt8WrapsAround) {
  Tensor a = from_vector<uint8_t>({200, 100}, {1, 2});
  Tensor b = from_vector<uint8_t>({2, 3}, {2, 1});
  EXPECT_EQ(matmul(a, b).item<int64_t>(), (200 * 2 + 100 * 3) % 256);
}

TEST(Matmul, HalfPrecisionComputesInFloat32) {
  for (DType dtype : {kFloat16, kBFloat16}) {
    Tensor a = random_tensor({2, 4, 33}, dtype, 26);
    Tensor b = random_tensor({33, 5}, dtype, 27);
    Tensor got = matmul(a, b);
    EXPECT_EQ(got.dtype(), dtype);
    // bfloat16 keeps 8 bits of mantissa: the rounding of the result dominates.
    EXPECT_NMSE_BELOW(got, reference_matmul(a, b).values, dtype == kFloat16 ? 1e-6 : 1e-4);
  }
}

TEST(Matmul, EmptyDimensions) {
  Tensor zero_inner = matmul(random_tensor({3, 0}), random_tensor({0, 4}));
  EXPECT_EQ(zero_inner.shape(), (Shape{3, 4}));
  EXPECT_EQ(zero_inner.to_vector<float>(), std::vector<float>(12, 0.0f));
  EXPECT_EQ(matmul(random_tensor({0, 3}), random_tensor({3, 4})).shape(), (Shape{0, 4}));
  EXPECT_EQ(matmul(random_tensor({2, 0, 3}), random_tensor({3, 4})).shape(), (Shape{2, 0, 4}));
}

TEST(Matmul, Gradients) {
  uint32_t seed = 40;
  for (const auto& [sa, sb] : kShapeCases) {
    SCOPED_TRACE(shape_string(sa) + " @ " + shape_string(sb));
    expect_gradients_match(
        [](const std::vector<Tensor>& x) { return matmul(x[0], x[1]); },
        {random_tensor(sa, kFloat64, seed), random_tensor(sb, kFloat64, seed + 1)});
    seed += 2;
  }
}

TEST(Matmul, GradientsThroughTransposedOperands) {
  expect_gradients_match(
      [](const std::vector<Tensor>& x) { return matmul(x[0].t(), x[1].transpose(1, 2)); },
      {random_tensor({5, 4}, kFloat64, 60), random_tensor({2, 3, 5}, kFloat64, 61)});
}

TEST(Matmul, GradientOnlyWhereRequired) {
  Tensor a = random_tensor({3, 4}, kFloat64, 62).requires_grad_(true);
  Tensor b = random_tensor({4, 2}, kFloat64, 63);
  matmul(a, b).sum().backward();
  EXPECT_TRUE(a.grad().defined());
  EXPECT_FALSE(b.grad().defined());
}

TEST(Matmul, Errors) {
  expect_error(
      [] {
        matmul(zeros({32, 784}), zeros({512, 10}));
      },
      "matmul", "inner dimensions differ: [32,784] @ [512,10]");
  expect_error([] { matmul(zeros({3}), zeros({4})); }, "matmul", "inner dimensions differ");
  expect_error(
      [] {
        matmul(zeros({2, 3, 4}), zeros({3, 4, 5}));
      },
      "matmul", "batch dimensions do not broadcast");
  expect_error([] { matmul(scalar_tensor(1.0), zeros({3})); }, "matmul", "at least 1 dimension");
  expect_error(
      [] {
        matmul(zeros({2, 3}), zeros({3, 2}, kFloat64));
      },
      "matmul", "one dtype, got float32 and float64");
  expect_error([] { matmul(zeros({2, 3}, kBool), zeros({3, 2}, kBool)); }, "matmul", "bool");
  expect_error([] { matmul(Tensor(), zeros({3})); }, "matmul", "undefined");
}

}  // namespace
}  // namespace ember
