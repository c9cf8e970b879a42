// The tensor core: dtypes, devices, creation, views, conversions.
#include <cmath>
#include <limits>

#include "test_util.h"

namespace ember {
namespace {

using test::expect_error;

TEST(DType, SizesAndNames) {
  EXPECT_EQ(itemsize(kBool), 1u);
  EXPECT_EQ(itemsize(kBFloat16), 2u);
  EXPECT_EQ(itemsize(kInt64), 8u);
  EXPECT_STREQ(dtype_name(kFloat16), "float16");
  EXPECT_TRUE(is_floating_point(kBFloat16));
  EXPECT_FALSE(is_floating_point(kInt32));
  EXPECT_TRUE(is_integral(kBool, /*include_bool=*/true));
  EXPECT_FALSE(is_integral(kBool));
}

TEST(DType, PromotionFollowsPyTorch) {
  EXPECT_EQ(promote_types(kBool, kUInt8), kUInt8);
  EXPECT_EQ(promote_types(kUInt8, kInt32), kInt32);
  EXPECT_EQ(promote_types(kInt64, kFloat16), kFloat16);
  EXPECT_EQ(promote_types(kFloat16, kBFloat16), kFloat32);
  EXPECT_EQ(promote_types(kFloat32, kFloat64), kFloat64);
  EXPECT_EQ(promote_types(kInt32, kFloat32), kFloat32);
  EXPECT_EQ(promote_types(kBFloat16, kFloat32), kFloat32);
}

TEST(DType, HalfConversionsRoundToNearestEven) {
  EXPECT_EQ(Half(1.0f).bits, 0x3c00);
  EXPECT_EQ(Half(-2.0f).bits, 0xc000);
  EXPECT_EQ(Half(65504.0f).bits, 0x7bff);
  EXPECT_EQ(Half(65520.0f).bits, 0x7c00);         // rounds up to infinity
  EXPECT_EQ(Half(1.0f + 0x1p-11f).bits, 0x3c00);  // a tie goes to the even mantissa
  EXPECT_EQ(Half(1.0f + 3 * 0x1p-11f).bits, 0x3c02);
  EXPECT_EQ(Half(0x1p-24f).bits, 0x0001);  // smallest subnormal
  EXPECT_EQ(static_cast<float>(Half(0x1p-24f)), 0x1p-24f);
  EXPECT_TRUE(std::isnan(static_cast<float>(Half(NAN))));
  EXPECT_EQ(static_cast<float>(Half(-INFINITY)), -INFINITY);
  for (float v : {0.5f, -3.25f, 1000.0f, 0.0009765625f}) {
    EXPECT_EQ(static_cast<float>(Half(v)), v);
  }
}

TEST(DType, BFloat16ConversionsRoundToNearestEven) {
  EXPECT_EQ(BFloat16(1.0f).bits, 0x3f80);
  EXPECT_EQ(BFloat16(1.0f + 0x1p-8f).bits, 0x3f80);  // tie to even
  EXPECT_EQ(BFloat16(1.0f + 3 * 0x1p-8f).bits, 0x3f82);
  EXPECT_TRUE(std::isnan(static_cast<float>(BFloat16(NAN))));
  EXPECT_EQ(static_cast<float>(BFloat16(-1.5f)), -1.5f);
}

TEST(Device, ParsesNames) {
  EXPECT_TRUE(Device("cpu").is_cpu());
  Device v("vulkan:2");
  EXPECT_TRUE(v.is_vulkan());
  EXPECT_EQ(v.index(), 2);
  EXPECT_EQ(v.str(), "vulkan:2");
  EXPECT_EQ(Device("vulkan").str(), "vulkan:0");
  expect_error([] { Device("cuda"); }, "device", "unknown device 'cuda'");
  expect_error([] { Device("vulkan:x"); }, "device", "bad device index");
  expect_error([] { Device("cpu:1"); }, "device", "only one cpu");
}

TEST(Creation, ConstantsAndRanges) {
  EXPECT_EQ(zeros({2, 3}).to_vector<float>(), std::vector<float>(6, 0.0f));
  EXPECT_EQ(ones({4}, kInt32).to_vector<int32_t>(), std::vector<int32_t>(4, 1));
  EXPECT_EQ(full({2}, 2.5, kFloat64).to_vector<double>(), (std::vector<double>{2.5, 2.5}));
  EXPECT_EQ(full({3}, int64_t{1} << 60, kInt64).to_vector<int64_t>()[2], int64_t{1} << 60);
  Tensor r = arange(5);
  EXPECT_EQ(r.dtype(), kInt64);
  EXPECT_EQ(r.to_vector<int64_t>(), (std::vector<int64_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(arange(5, 0, -2).to_vector<int64_t>(), (std::vector<int64_t>{5, 3, 1}));
  Tensor f = arange(0.0, 1.0, 0.25);
  EXPECT_EQ(f.dtype(), kFloat32);
  EXPECT_EQ(f.to_vector<float>(), (std::vector<float>{0, 0.25f, 0.5f, 0.75f}));
  std::vector<double> l = linspace(-1, 1, 5, kFloat64).to_vector<double>();
  EXPECT_EQ(l, (std::vector<double>{-1, -0.5, 0, 0.5, 1}));
  EXPECT_EQ(linspace(0, 1, 1).to_vector<float>(), std::vector<float>{0});
  EXPECT_EQ(eye(2, 3).to_vector<float>(), (std::vector<float>{1, 0, 0, 0, 1, 0}));
  Tensor s = scalar_tensor(3.5);
  EXPECT_EQ(s.dim(), 0);
  EXPECT_EQ(s.item<float>(), 3.5f);
  EXPECT_EQ(empty({0, 4}).numel(), 0);
}

TEST(Creation, BadArgumentsRaise) {
  expect_error([] { zeros({2, -1}); }, "zeros", "negative size");
  expect_error([] { empty({-3}); }, "empty", "negative size");
  expect_error([] { arange(0, 5, 0); }, "arange", "non-zero");
  expect_error([] { arange(0, 5, -1); }, "arange", "does not lead");
  expect_error([] { linspace(0, 1, -2); }, "linspace");
  expect_error(
      [] {
        from_vector(std::vector<float>{1, 2, 3}, {2, 2});
      },
      "from_vector", "3 values do not fill shape [2,2]");
}

TEST(Conversion, CastsLikePyTorch) {
  Tensor x = from_vector(std::vector<float>{-1.7f, 0.0f, 2.9f, 0.25f});
  EXPECT_EQ(x.to(kInt32).to_vector<int32_t>(), (std::vector<int32_t>{-1, 0, 2, 0}));
  EXPECT_EQ(x.to(kBool).to_vector<bool>(), (std::vector<bool>{true, false, true, true}));
  EXPECT_EQ(x.to(kFloat16).to(kFloat32).to_vector<float>()[3], 0.25f);
  Tensor b = from_vector(std::vector<bool>{true, false});
  EXPECT_EQ(b.dtype(), kBool);
  EXPECT_EQ(b.to(kFloat64).to_vector<double>(), (std::vector<double>{1, 0}));
  EXPECT_EQ(x.to(kFloat32).impl(), x.impl());  // no copy when nothing changes
  EXPECT_EQ(x.to(kCPU).impl(), x.impl());
}

TEST(Conversion, ReadingErrors) {
  Tensor x = zeros({2});
  expect_error([&] { x.item<float>(); }, "item", "2 elements");
  expect_error([&] { x.data_ptr<double>(); }, "data_ptr", "holds float32, not float64");
  expect_error([] { Tensor().shape(); }, "tensor", "undefined");
  expect_error([] { ones({1}).to(Device("vulkan:99")); }, "device", "no device vulkan:99");
}

std::vector<float> iota(int64_t n) {
  std::vector<float> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[i] = static_cast<float>(i + 1);
  return v;
}

TEST(Views, ShareStorage) {
  Tensor x = from_vector(iota(6), {2, 3});
  Tensor v = x.reshape({3, 2});
  EXPECT_TRUE(v.is_alias_of(x));
  v.select(0, 1).fill_(0);  // elements 2 and 3 of x
  EXPECT_EQ(x.to_vector<float>(), (std::vector<float>{1, 2, 0, 0, 5, 6}));
}

TEST(Views, TransposeAndContiguous) {
  Tensor x = from_vector(iota(6), {2, 3});
  Tensor t = x.t();
  EXPECT_EQ(t.shape(), (Shape{3, 2}));
  EXPECT_EQ(t.strides(), (Shape{1, 3}));
  EXPECT_FALSE(t.is_contiguous());
  EXPECT_EQ(t.to_vector<float>(), (std::vector<float>{1, 4, 2, 5, 3, 6}));
  Tensor c = t.contiguous();
  EXPECT_TRUE(c.is_contiguous());
  EXPECT_EQ(c.to_vector<float>(), t.to_vector<float>());
  expect_error([&] { t.view({6}); }, "view", "not compatible");
  EXPECT_EQ(t.reshape({6}).to_vector<float>(), (std::vector<float>{1, 4, 2, 5, 3, 6}));
}

TEST(Views, PermuteMatchesIndexMath) {
  Shape shape{2, 3, 4};
  Tensor x = from_vector(iota(24), shape);
  Tensor p = x.permute({2, 0, 1});
  EXPECT_EQ(p.shape(), (Shape{4, 2, 3}));
  std::vector<float> got = p.to_vector<float>();
  for (int64_t i = 0; i < 4; ++i)
    for (int64_t j = 0; j < 2; ++j)
      for (int64_t k = 0; k < 3; ++k)
        EXPECT_EQ(got[(i * 2 + j) * 3 + k], static_cast<float>(j * 12 + k * 4 + i + 1));
  expect_error([&] { x.permute({0, 0, 1}); }, "permute", "appears twice");
  expect_error([&] { x.permute({0, 1}); }, "permute");
}

TEST(Views, SliceSelectNarrow) {
  Tensor x = from_vector(iota(10));
  EXPECT_EQ(x.slice(0, 1, 8, 3).to_vector<float>(), (std::vector<float>{2, 5, 8}));
  EXPECT_EQ(x.slice(0, -3, 100).to_vector<float>(), (std::vector<float>{8, 9, 10}));
  EXPECT_EQ(x.slice(0, 5, 2).numel(), 0);
  EXPECT_EQ(x.narrow(0, 2, 2).to_vector<float>(), (std::vector<float>{3, 4}));
  EXPECT_EQ(x[9].item<float>(), 10.0f);
  EXPECT_EQ(x.select(0, -1).item<float>(), 10.0f);
  Tensor m = from_vector(iota(12), {3, 4});
  EXPECT_EQ(m.slice(1, 1, 4, 2).to_vector<float>(), (std::vector<float>{2, 4, 6, 8, 10, 12}));
  EXPECT_EQ(m.select(1, 2).to_vector<float>(), (std::vector<float>{3, 7, 11}));
  expect_error([&] { x.select(0, 10); }, "select", "out of range");
  expect_error([&] { x.slice(0, 0, 2, 0); }, "slice", "step must be positive");
  expect_error([&] { x.narrow(0, 8, 5); }, "narrow");
  expect_error([&] { x.slice(3, 0, 1); }, "slice", "out of range");
}

TEST(Views, ExpandSqueezeFlatten) {
  Tensor x = from_vector(iota(3), {3, 1});
  Tensor e = x.expand({2, 3, 4});
  EXPECT_EQ(e.strides(), (Shape{0, 1, 0}));
  EXPECT_EQ(e.contiguous().to_vector<float>()[5], 2.0f);
  EXPECT_EQ(x.expand({-1, 2}).shape(), (Shape{3, 2}));
  expect_error([&] { x.expand({2, 2}); }, "expand", "cannot expand shape [3,1] to [2,2]");
  EXPECT_EQ(x.squeeze().shape(), (Shape{3}));
  EXPECT_EQ(x.squeeze(0).shape(), (Shape{3, 1}));
  EXPECT_EQ(x.unsqueeze(0).shape(), (Shape{1, 3, 1}));
  EXPECT_EQ(x.unsqueeze(-1).shape(), (Shape{3, 1, 1}));
  Tensor y = zeros({2, 3, 4, 5});
  EXPECT_EQ(y.flatten(1).shape(), (Shape{2, 60}));
  EXPECT_EQ(y.flatten(1, 2).shape(), (Shape{2, 12, 5}));
  EXPECT_EQ(y.flatten(1).unflatten(1, {3, -1, 5}).shape(), (Shape{2, 3, 4, 5}));
  EXPECT_EQ(y.reshape({-1, 5}).shape(), (Shape{24, 5}));
  expect_error([&] { y.reshape({-1, -1}); }, "reshape", "only one dimension can be -1");
  expect_error([&] { y.reshape({7, -1}); }, "reshape", "invalid");
  EXPECT_EQ(broadcast_shapes({3, 1}, {4}), (Shape{3, 4}));
  expect_error([] { broadcast_shapes({3}, {4}); }, "broadcast_shapes", "[3] and [4]");
}

TEST(Views, CopyIntoAView) {
  Tensor x = zeros({3, 4});
  x.slice(1, 0, 4, 2).copy_(from_vector(std::vector<double>{7, 8}, {1, 2}));  // broadcasts, casts
  EXPECT_EQ(x.to_vector<float>(), (std::vector<float>{7, 0, 8, 0, 7, 0, 8, 0, 7, 0, 8, 0}));
  Tensor half = zeros({3, 4}, kFloat16);
  half.transpose(0, 1).copy_(x.t());
  EXPECT_EQ(half.to(kFloat32).to_vector<float>(), x.to_vector<float>());
}

}  // namespace
}  // namespace ember
