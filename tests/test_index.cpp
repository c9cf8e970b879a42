// Indexing and joining: index_select, gather, scatter_add, index_add, cat, stack, split,
// chunk, one_hot, embedding; against plain loops, with gradients and errors.
#include <cstdint>

#include "test_util.h"

namespace ember {
namespace {

using test::expect_error;
using test::expect_gradients_match;
using test::random_tensor;

Tensor int64_tensor(const std::vector<int64_t>& values, const Shape& shape = {}) {
  return from_vector(values, shape);
}

// Flat index of coord in a row-major shape.
int64_t flat(const std::vector<int64_t>& coord, const Shape& shape) {
  int64_t index = 0;
  for (size_t d = 0; d < shape.size(); ++d) index = index * shape[d] + coord[d];
  return index;
}

std::vector<double> reference_index_select(const Tensor& x, int64_t dim,
                                           const std::vector<int64_t>& index) {
  std::vector<double> xv = x.to_vector<double>();
  Shape out_shape = x.shape();
  out_shape[dim] = static_cast<int64_t>(index.size());
  std::vector<double> out(static_cast<size_t>(test::numel_of(out_shape)));
  for (size_t i = 0; i < out.size(); ++i) {
    std::vector<int64_t> coord = test::unravel(static_cast<int64_t>(i), out_shape);
    coord[dim] = index[coord[dim]];
    out[i] = xv[flat(coord, x.shape())];
  }
  return out;
}

TEST(IndexSelect, EveryDimContiguousAndStrided) {
  std::vector<int64_t> index = {2, 0, 2, 1};
  for (DType dtype : {kFloat32, kFloat64, kFloat16, kInt32}) {
    Tensor x = random_tensor({3, 4, 20}, dtype, 1);
    for (int64_t dim = 0; dim < 3; ++dim) {
      SCOPED_TRACE(std::string(dtype_name(dtype)) + " dim " + std::to_string(dim));
      Tensor got = index_select(x, dim, int64_tensor(index));
      EXPECT_EQ(got.dtype(), dtype);
      EXPECT_NMSE_BELOW(got, reference_index_select(x, dim, index), 0.0);
      Tensor strided = test::non_contiguous(x);
      EXPECT_NMSE_BELOW(index_select(strided, dim, int64_tensor(index)),
                        reference_index_select(x, dim, index), 0.0);
    }
  }
}

TEST(IndexSelect, Int32IndexAndNegativeDim) {
  Tensor x = random_tensor({5, 3}, kFloat64, 2);
  Tensor got = x.index_select(-2, from_vector<int32_t>({4, 4, 0}));
  EXPECT_NMSE_BELOW(got, reference_index_select(x, 0, {4, 4, 0}), 0.0);
  // A 0-d index keeps the dim with size 1.
  EXPECT_EQ(index_select(x, 1, scalar_tensor(2, kInt64)).shape(), (Shape{5, 1}));
  // A strided index: every other element of a wider one.
  Tensor wide = int64_tensor({1, 9, 3, 9, 0, 9});
  EXPECT_NMSE_BELOW(index_select(x, 0, wide.slice(0, 0, 6, 2)),
                    reference_index_select(x, 0, {1, 3, 0}), 0.0);
}

TEST(Gather, MatchesLoops) {
  Tensor x = random_tensor({4, 5, 3}, kFloat32, 3);
  Tensor index = int64_tensor({3, 0, 1, 2, 2, 1, 0, 0, 3, 1, 2, 3}, {2, 3, 2});
  for (int64_t dim = 0; dim < 3; ++dim) {
    Tensor idx = dim == 2 ? remainder(index, 3) : index;
    Tensor got = gather(test::non_contiguous(x), dim, idx);
    EXPECT_EQ(got.shape(), idx.shape());
    std::vector<int64_t> iv = idx.to_vector<int64_t>();
    std::vector<double> xv = x.to_vector<double>(), want(iv.size());
    for (size_t i = 0; i < iv.size(); ++i) {
      std::vector<int64_t> coord = test::unravel(static_cast<int64_t>(i), idx.shape());
      coord[dim] = iv[i];
      want[i] = xv[flat(coord, x.shape())];
    }
    SCOPED_TRACE("dim " + std::to_string(dim));
    EXPECT_NMSE_BELOW(got, want, 0.0);
  }
}

TEST(ScatterAdd, AccumulatesRepeatedIndices) {
  Tensor x = random_tensor({3, 4}, kFloat64, 4);
  Tensor src = random_tensor({2, 5}, kFloat64, 5);
  Tensor index = int64_tensor({0, 2, 2, 0, 1, 0, 0, 1, 2, 2}, {2, 5}).slice(1, 0, 4);
  Tensor got = scatter_add(x, 0, index, src);
  std::vector<double> want = x.to_vector<double>(), sv = src.to_vector<double>();
  std::vector<int64_t> iv = index.to_vector<int64_t>();
  for (int64_t i = 0; i < 2; ++i) {
    for (int64_t j = 0; j < 4; ++j) want[iv[i * 4 + j] * 4 + j] += sv[i * 5 + j];
  }
  EXPECT_NMSE_BELOW(got, want, 1e-30);
  EXPECT_NMSE_BELOW(x, x.to_vector<double>(), 0.0);  // out of place
  Tensor ints = scatter_add(zeros({4}, kInt64), 0, int64_tensor({1, 1, 3}), ones({3}, kInt64));
  EXPECT_EQ(ints.to_vector<int64_t>(), (std::vector<int64_t>{0, 2, 0, 1}));
}

TEST(IndexAdd, WithAlphaAlongEachDim) {
  Tensor x = random_tensor({3, 4, 5}, kFloat32, 6);
  std::vector<int64_t> index = {2, 0, 2};
  for (int64_t dim = 0; dim < 3; ++dim) {
    Shape src_shape = x.shape();
    src_shape[dim] = 3;
    Tensor src = random_tensor(src_shape, kFloat32, 7);
    Tensor got = index_add(x, dim, int64_tensor(index), test::non_contiguous(src), 0.5);
    std::vector<double> want = x.to_vector<double>(), sv = src.to_vector<double>();
    for (size_t i = 0; i < sv.size(); ++i) {
      std::vector<int64_t> coord = test::unravel(static_cast<int64_t>(i), src_shape);
      coord[dim] = index[coord[dim]];
      want[flat(coord, x.shape())] += 0.5 * sv[i];
    }
    SCOPED_TRACE("dim " + std::to_string(dim));
    EXPECT_NMSE_BELOW(got, want, 1e-12);
  }
  Tensor half = index_add(ones({2, 3}, kFloat16), 1, int64_tensor({0, 0}), ones({2, 2}, kFloat16));
  EXPECT_EQ(half.dtype(), kFloat16);
  EXPECT_EQ(half.to_vector<float>(), (std::vector<float>{3, 1, 1, 3, 1, 1}));
}

TEST(IndexAdd, SameResultWithAnyThreadCount) {
  Tensor x = zeros({50, 300});
  Tensor index = remainder(arange(4000), 50);
  Tensor src = random_tensor({4000, 300}, kFloat32, 8);
  int threads = get_num_threads();
  set_num_threads(1);
  std::vector<float> one = index_add(x, 0, index, src).to_vector<float>();
  set_num_threads(std::max(threads, 2));
  std::vector<float> many = index_add(x, 0, index, src).to_vector<float>();
  set_num_threads(threads);
  EXPECT_EQ(one, many);
}

TEST(Cat, PromotesAndJoinsAlongDim) {
  Tensor a = random_tensor({2, 3}, kFloat32, 9);
  Tensor b = from_vector<int64_t>({1, 2, 3, 4}, {2, 2});
  Tensor c = test::non_contiguous(random_tensor({2, 1}, kFloat64, 10));
  Tensor got = cat({a, b, c}, -1);
  EXPECT_EQ(got.shape(), (Shape{2, 6}));
  EXPECT_EQ(got.dtype(), kFloat64);
  std::vector<double> av = a.to_vector<double>(), cv = c.to_vector<double>();
  std::vector<double> want = {av[0], av[1], av[2], 1, 2, cv[0], av[3], av[4], av[5], 3, 4, cv[1]};
  EXPECT_NMSE_BELOW(got, want, 0.0);
  Tensor rows = cat({a, a.slice(0, 0, 1)}, 0);
  EXPECT_EQ(rows.shape(), (Shape{3, 3}));
  EXPECT_NMSE_BELOW(
      rows, (std::vector<double>{av[0], av[1], av[2], av[3], av[4], av[5], av[0], av[1], av[2]}),
      0.0);
  EXPECT_EQ(cat({zeros({0}), a}, 1).shape(), (Shape{2, 3}));  // a legacy empty is skipped
}

TEST(Stack, AddsADim) {
  Tensor a = random_tensor({2, 3}, kFloat64, 11), b = random_tensor({2, 3}, kFloat64, 12);
  Tensor got = stack({a, b}, 1);
  EXPECT_EQ(got.shape(), (Shape{2, 2, 3}));
  std::vector<double> av = a.to_vector<double>(), bv = b.to_vector<double>();
  EXPECT_NMSE_BELOW(got,
                    (std::vector<double>{av[0], av[1], av[2], bv[0], bv[1], bv[2], av[3], av[4],
                                         av[5], bv[3], bv[4], bv[5]}),
                    0.0);
  EXPECT_EQ(stack({a, b}, -1).shape(), (Shape{2, 3, 2}));
}

TEST(Split, ViewsOfEqualAndGivenSizes) {
  Tensor x = arange(10).reshape({2, 5});
  std::vector<Tensor> parts = x.split(2, 1);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[2].shape(), (Shape{2, 1}));
  EXPECT_EQ(parts[1].to_vector<int64_t>(), (std::vector<int64_t>{2, 3, 7, 8}));
  EXPECT_TRUE(parts[1].is_alias_of(x));
  std::vector<Tensor> sized = split(x, std::vector<int64_t>{1, 0, 4}, -1);
  ASSERT_EQ(sized.size(), 3u);
  EXPECT_EQ(sized[1].shape(), (Shape{2, 0}));
  EXPECT_EQ(sized[2].to_vector<int64_t>(), (std::vector<int64_t>{1, 2, 3, 4, 6, 7, 8, 9}));
}

TEST(Chunk, AsPyTorch) {
  Tensor x = arange(10);
  auto sizes = [](const std::vector<Tensor>& parts) {
    std::vector<int64_t> s;
    for (const Tensor& p : parts) s.push_back(p.numel());
    return s;
  };
  EXPECT_EQ(sizes(x.chunk(3)), (std::vector<int64_t>{4, 4, 2}));
  EXPECT_EQ(sizes(x.chunk(4)), (std::vector<int64_t>{3, 3, 3, 1}));
  EXPECT_EQ(sizes(arange(6).chunk(4)), (std::vector<int64_t>{2, 2, 2}));  // fewer than asked
  EXPECT_EQ(sizes(zeros({0}).chunk(2)), (std::vector<int64_t>{0, 0}));
  EXPECT_TRUE(x.chunk(2)[1].is_alias_of(x));
}

TEST(OneHot, InfersOrTakesTheClassCount) {
  Tensor got = one_hot(int64_tensor({2, 0, 1, 2}, {2, 2}));
  EXPECT_EQ(got.shape(), (Shape{2, 2, 3}));
  EXPECT_EQ(got.dtype(), kInt64);
  EXPECT_EQ(got.to_vector<int64_t>(), (std::vector<int64_t>{0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 1}));
  EXPECT_EQ(one_hot(from_vector<int32_t>({1}), 4).to_vector<int64_t>(),
            (std::vector<int64_t>{0, 1, 0, 0}));
}

TEST(Embedding, RowsForIndicesOfAnyShape) {
  Tensor weight = random_tensor({6, 4}, kFloat32, 13);
  Tensor indices = int64_tensor({5, 0, 5, 2, 1, 3}, {2, 1, 3});
  Tensor got = embedding(weight, indices);
  EXPECT_EQ(got.shape(), (Shape{2, 1, 3, 4}));
  EXPECT_NMSE_BELOW(got, reference_index_select(weight, 0, {5, 0, 5, 2, 1, 3}), 0.0);
}

using Inputs = std::vector<Tensor>;

TEST(IndexGradients, SelectGatherScatterIndexAdd) {
  Tensor index = int64_tensor({2, 0, 2});
  expect_gradients_match([&](const Inputs& x) { return index_select(x[0], 1, index); },
                         {random_tensor({2, 3, 4}, kFloat64, 20)});
  Tensor gather_index = int64_tensor({1, 0, 1, 1, 2, 0}, {3, 2});
  expect_gradients_match([&](const Inputs& x) { return gather(x[0].t(), 0, gather_index); },
                         {random_tensor({2, 3}, kFloat64, 21)});
  expect_gradients_match(
      [&](const Inputs& x) { return scatter_add(x[0], 0, gather_index.slice(0, 0, 2), x[1]); },
      {random_tensor({3, 2}, kFloat64, 22), random_tensor({3, 3}, kFloat64, 23)});
  expect_gradients_match(
      [&](const Inputs& x) { return index_add(x[0], 0, index, x[1], -1.5); },
      {random_tensor({3, 2}, kFloat64, 24), random_tensor({3, 2}, kFloat64, 25)});
}

TEST(IndexGradients, JoiningAndEmbedding) {
  expect_gradients_match(
      [](const Inputs& x) {
        return cat({x[0], x[1], x[0]}, 1);
      },
      {random_tensor({2, 3}, kFloat64, 26), random_tensor({2, 1}, kFloat64, 27)});
  expect_gradients_match(
      [](const Inputs& x) {
        return stack({x[0], x[1]}, 2);
      },
      {random_tensor({2, 3}, kFloat64, 28), random_tensor({2, 3}, kFloat64, 29)});
  expect_gradients_match(
      [](const Inputs& x) {
        std::vector<Tensor> parts = x[0].chunk(2, 1);
        return parts[1] * split(x[0], std::vector<int64_t>{2, 1, 1}, 1)[0];
      },
      {random_tensor({3, 4}, kFloat64, 30)});
  Tensor indices = int64_tensor({3, 0, 3, 1}, {2, 2});
  expect_gradients_match([&](const Inputs& x) { return embedding(x[0], indices); },
                         {random_tensor({4, 3}, kFloat64, 31)});
}

TEST(CatGradient, ReturnsEachInputsDtype) {
  Tensor a = random_tensor({2}, kFloat32, 32).requires_grad_(true);
  Tensor b = random_tensor({3}, kFloat64, 33).requires_grad_(true);
  cat({a, b}).sum().backward();
  EXPECT_EQ(a.grad().dtype(), kFloat32);
  EXPECT_EQ(b.grad().to_vector<double>(), std::vector<double>(3, 1.0));
}

TEST(IndexErrors, OutOfRangeIndicesNameTheOpAndIndex) {
  Tensor x = zeros({3, 4});
  expect_error(
      [&] {
        index_select(x, 0, int64_tensor({0, 3}));
      },
      "index_select", "index 3 is out of range for dimension 0 with size 3");
  expect_error([&] { index_select(test::non_contiguous(x), 1, int64_tensor({-1})); },
               "index_select", "index -1");
  expect_error([&] { gather(x, 1, int64_tensor({0, 4}, {1, 2})); }, "gather", "index 4");
  expect_error(
      [&] {
        scatter_add(x, 0, int64_tensor({5}, {1, 1}), ones({1, 1}));
      },
      "scatter_add", "index 5");
  expect_error([&] { index_add(x, 1, int64_tensor({7}), ones({3, 1})); }, "index_add", "index 7");
  expect_error([&] { embedding(x, int64_tensor({3})); }, "embedding", "index 3 is out of range");
  expect_error([&] { one_hot(int64_tensor({0, 3}), 3); }, "one_hot", "class value 3");
  expect_error([&] { one_hot(int64_tensor({-1})); }, "one_hot", "not be negative");
}

TEST(IndexErrors, BadArguments) {
  Tensor x = zeros({3, 4});
  expect_error([&] { index_select(x, 2, int64_tensor({0})); }, "index_select",
               "dimension 2 is out of range");
  expect_error([&] { index_select(x, 0, zeros({1})); }, "index_select", "got float32");
  expect_error(
      [&] {
        index_select(x, 0, int64_tensor({0, 1}, {1, 2}));
      },
      "index_select", "1-d index");
  expect_error([&] { gather(x, 0, int64_tensor({0})); }, "gather", "as many dims");
  expect_error([&] { gather(x, 0, zeros({1, 5}, kInt64)); }, "gather", "dimension 1");
  expect_error(
      [&] {
        scatter_add(x, 0, zeros({1, 1}, kInt64), ones({1, 1}, kFloat64));
      },
      "scatter_add", "same dtype");
  expect_error(
      [&] {
        index_add(x, 0, int64_tensor({0}), ones({1, 3}));
      },
      "index_add", "expects src of shape [1,4]");
  expect_error([&] { index_add(zeros({2}, kInt64), 0, int64_tensor({0}), ones({1}, kInt64), 0.5); },
               "index_add", "alpha must be an integer");
  expect_error([&] { cat({}); }, "cat", "non-empty");
  expect_error(
      [&] {
        cat({x, zeros({3, 5})}, 0);
      },
      "cat", "expected size 4 but got size 5 in dimension 1 for tensor 1");
  expect_error([&] { cat({x, zeros({3})}, 0); }, "cat", "same number of dims");
  expect_error([&] { cat({x, scalar_tensor(1)}, 0); }, "cat", "zero-dimensional");
  expect_error([&] { stack({x, zeros({4, 3})}); }, "stack", "one shape");
  expect_error([&] { split(x, std::vector<int64_t>{1, 1}, 0); }, "split", "add up to 2");
  expect_error([&] { split(x, -1, 0); }, "split", "positive");
  expect_error([&] { chunk(x, 0); }, "chunk", "positive");
  expect_error([&] { embedding(zeros({3}), int64_tensor({0})); }, "embedding", "2-D weight");
  expect_error([&] { embedding(x, zeros({1})); }, "embedding", "got float32");
  expect_error([&] { one_hot(zeros({0}, kInt64)); }, "one_hot", "cannot infer");
}

}  // namespace
}  // namespace ember
