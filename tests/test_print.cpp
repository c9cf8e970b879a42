// Printing: each expected string is what PyTorch 1.13+/2.x prints for the same values,
// except that dtypes are named as Ember names them (dtype=float64, not torch.float64).
#include <sstream>

#include "test_util.h"

namespace ember {
namespace {

Tensor floats(const std::vector<float>& values, const Shape& shape = {}) {
  return from_vector(values, shape);
}

TEST(Print, MatrixSharesOneWidth) {
  EXPECT_EQ(to_string(floats({0.1234f, -1.5f, 2, 3}, {2, 2})),
            "tensor([[ 0.1234, -1.5000],\n"
            "        [ 2.0000,  3.0000]])");
}

TEST(Print, StreamOperatorMatchesToString) {
  std::ostringstream out;
  out << floats({0.5f});
  EXPECT_EQ(out.str(), "tensor([0.5000])");
}

TEST(Print, ZeroDimAndEmpty) {
  EXPECT_EQ(to_string(scalar_tensor(1.5)), "tensor(1.5000)");
  EXPECT_EQ(to_string(scalar_tensor(7, kInt32)), "tensor(7, dtype=int32)");
  EXPECT_EQ(to_string(floats({})), "tensor([])");
  EXPECT_EQ(to_string(zeros({0, 3}, kInt64)), "tensor([], size=(0, 3), dtype=int64)");
  EXPECT_EQ(to_string(Tensor()), "tensor(undefined)");
}

TEST(Print, IntegersAndBools) {
  EXPECT_EQ(to_string(from_vector(std::vector<int64_t>{1, -20, 300})), "tensor([  1, -20, 300])");
  EXPECT_EQ(to_string(from_vector(std::vector<int32_t>{1, 2})), "tensor([1, 2], dtype=int32)");
  EXPECT_EQ(to_string(from_vector(std::vector<uint8_t>{7, 200})),
            "tensor([  7, 200], dtype=uint8)");
  EXPECT_EQ(to_string(from_vector(std::vector<bool>{true, false})), "tensor([ True, False])");
}

TEST(Print, WholeFloatsKeepAPoint) {
  EXPECT_EQ(to_string(floats({1, 2, -3})), "tensor([ 1.,  2., -3.])");
  EXPECT_EQ(to_string(zeros({3})), "tensor([0., 0., 0.])");
  EXPECT_EQ(to_string(floats({-0.0f, 1})), "tensor([-0., 1.])");
}

TEST(Print, ScientificNotation) {
  EXPECT_EQ(to_string(floats({1e-5f, 1})), "tensor([1.0000e-05, 1.0000e+00])");
  EXPECT_EQ(to_string(floats({1e9f, 1})), "tensor([1.0000e+09, 1.0000e+00])");
  EXPECT_EQ(to_string(floats({123456789.0f, 1})), "tensor([1.2346e+08, 1.0000e+00])");
  EXPECT_EQ(to_string(floats({1.5f, 2000.25f})), "tensor([1.5000e+00, 2.0002e+03])");
  EXPECT_EQ(to_string(floats({1e-5f, 2.5f, 3, -4e6f}, {2, 2})),
            "tensor([[ 1.0000e-05,  2.5000e+00],\n"
            "        [ 3.0000e+00, -4.0000e+06]])");
}

TEST(Print, NonFinite) {
  EXPECT_EQ(to_string(floats({NAN, INFINITY, -INFINITY, 1.5f})),
            "tensor([   nan,    inf,   -inf, 1.5000])");
  EXPECT_EQ(to_string(floats({-NAN, 2})), "tensor([nan, 2.])");
}

TEST(Print, DtypeSuffixes) {
  EXPECT_EQ(to_string(from_vector(std::vector<double>{0.5, 0.25})),
            "tensor([0.5000, 0.2500], dtype=float64)");
  EXPECT_EQ(to_string(floats({0.1f, 1}).to(kFloat16)), "tensor([0.1000, 1.0000], dtype=float16)");
  EXPECT_EQ(to_string(floats({0.1f, 1}).to(kBFloat16)), "tensor([0.1001, 1.0000], dtype=bfloat16)");
}

TEST(Print, AutogradSuffixes) {
  Tensor x = floats({1, 2, 3, 4}, {2, 2});
  x.requires_grad_(true);
  EXPECT_EQ(to_string(floats({1, 2}).requires_grad_(true)), "tensor([1., 2.], requires_grad=True)");
  EXPECT_EQ(to_string(x.transpose(0, 1)),
            "tensor([[1., 3.],\n"
            "        [2., 4.]], grad_fn=<TransposeBackward0>)");
}

TEST(Print, LongRowsWrap) {
  std::vector<float> values;
  for (int i = 0; i < 30; ++i) values.push_back(static_cast<float>(i) / 7);
  EXPECT_EQ(to_string(floats(values)),
            "tensor([0.0000, 0.1429, 0.2857, 0.4286, 0.5714, 0.7143, 0.8571, 1.0000, 1.1429,\n"
            "        1.2857, 1.4286, 1.5714, 1.7143, 1.8571, 2.0000, 2.1429, 2.2857, 2.4286,\n"
            "        2.5714, 2.7143, 2.8571, 3.0000, 3.1429, 3.2857, 3.4286, 3.5714, 3.7143,\n"
            "        3.8571, 4.0000, 4.1429])");
}

TEST(Print, SuffixMovesToItsOwnLine) {
  std::vector<double> values;
  for (int i = 0; i < 8; ++i) values.push_back(10.5 + i);
  EXPECT_EQ(to_string(from_vector(values)),
            "tensor([10.5000, 11.5000, 12.5000, 13.5000, 14.5000, 15.5000, 16.5000, 17.5000],\n"
            "       dtype=float64)");
  values.resize(3);
  EXPECT_EQ(to_string(from_vector(values)), "tensor([10.5000, 11.5000, 12.5000], dtype=float64)");
}

TEST(Print, NestedDimsAddBlankLines) {
  EXPECT_EQ(to_string(arange(8).reshape({2, 2, 2})),
            "tensor([[[0, 1],\n"
            "         [2, 3]],\n"
            "\n"
            "        [[4, 5],\n"
            "         [6, 7]]])");
  std::vector<float> values;
  for (int i = 0; i < 12; ++i) values.push_back(static_cast<float>(i) + 0.5f);
  EXPECT_EQ(to_string(floats(values, {2, 3, 1, 2})),
            "tensor([[[[ 0.5000,  1.5000]],\n"
            "\n"
            "         [[ 2.5000,  3.5000]],\n"
            "\n"
            "         [[ 4.5000,  5.5000]]],\n"
            "\n"
            "\n"
            "        [[[ 6.5000,  7.5000]],\n"
            "\n"
            "         [[ 8.5000,  9.5000]],\n"
            "\n"
            "         [[10.5000, 11.5000]]]])");
}

TEST(Print, LargeTensorsAreSummarised) {
  EXPECT_EQ(to_string(arange(2000)), "tensor([   0,    1,    2,  ..., 1997, 1998, 1999])");
  EXPECT_EQ(to_string(arange(1000)).find("..."), std::string::npos);  // 1000 is not above
  std::string cube = to_string(arange(1200).reshape({10, 10, 12}));
  EXPECT_TRUE(
      cube.starts_with("tensor([[[   0,    1,    2,  ...,    9,   10,   11],\n"
                       "         [  12,   13,   14,  ...,   21,   22,   23],\n"
                       "         [  24,   25,   26,  ...,   33,   34,   35],\n"
                       "         ...,\n"
                       "         [  84,   85,   86,  ...,   93,   94,   95],\n"))
      << cube;
  EXPECT_NE(cube.find("  359]],\n\n        ...,\n\n        [[ 840,  841,"), std::string::npos);
  EXPECT_TRUE(cube.ends_with(",\n         [1188, 1189, 1190,  ..., 1197, 1198, 1199]]])")) << cube;
}

TEST(Print, SummaryChoosesStyleFromShownValues) {
  std::vector<float> values;
  for (int i = 0; i < 2000; ++i) values.push_back(static_cast<float>(i) / 3);
  std::string text = to_string(floats(values, {40, 50}));
  EXPECT_TRUE(text.starts_with(
      "tensor([[0.0000e+00, 3.3333e-01, 6.6667e-01,  ..., 1.5667e+01, 1.6000e+01,\n"
      "         1.6333e+01],\n"
      "        [1.6667e+01, 1.7000e+01, 1.7333e+01,  ..., 3.2333e+01, 3.2667e+01,\n"))
      << text;
  EXPECT_NE(text.find("         4.9667e+01],\n        ...,\n        [6.1667e+02,"),
            std::string::npos);
  EXPECT_TRUE(text.ends_with(",\n         6.6633e+02]])")) << text;
}

}  // namespace
}  // namespace ember
