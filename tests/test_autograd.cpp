// The backward engine and the derivatives of views and conversions.
#include "test_util.h"

namespace ember {
namespace {

using test::expect_error;
using test::expect_gradients_match;
using test::random_tensor;

TEST(Autograd, ChainRuleThroughSharedInputs) {
  Tensor x = from_vector(std::vector<float>{1, 2, 3}).requires_grad_();
  Tensor y = x * x + x * 3.0f;  // dy/dx = 2x + 3
  y.sum().backward();
  EXPECT_EQ(x.grad().to_vector<float>(), (std::vector<float>{5, 7, 9}));
  EXPECT_TRUE(x.is_leaf());
  EXPECT_FALSE(y.is_leaf());
  ASSERT_NE(y.grad_fn(), nullptr);
  EXPECT_STREQ(y.grad_fn()->name(), "add");
}

TEST(Autograd, GradientsAccumulateAcrossBackwardCalls) {
  Tensor x = from_vector(std::vector<float>{2}).requires_grad_();
  (x * 4.0f).sum().backward();
  (x * x).sum().backward();
  EXPECT_EQ(x.grad().item<float>(), 8.0f);
  x.set_grad(Tensor());
  EXPECT_FALSE(x.grad().defined());
}

TEST(Autograd, SecondBackwardNeedsRetainGraph) {
  Tensor x = from_vector(std::vector<float>{1, 2}).requires_grad_();
  Tensor loss = (x.exp() * 2.0f).sum();
  loss.backward(Tensor(), /*retain_graph=*/true);
  loss.backward();
  EXPECT_NEAR(x.grad().to_vector<float>()[1], 4 * std::exp(2.0f), 1e-4);
  expect_error([&] { loss.backward(); }, "backward", "second time");
}

TEST(Autograd, ExplicitGradientForNonScalarOutputs) {
  Tensor x = from_vector(std::vector<float>{1, 2, 3}).requires_grad_();
  Tensor y = x * 2.0f;
  expect_error([&] { y.backward(); }, "backward", "single-element");
  expect_error([&] { y.backward(ones({2})); }, "backward", "shape");
  y.backward(from_vector(std::vector<float>{1, 10, 100}));
  EXPECT_EQ(x.grad().to_vector<float>(), (std::vector<float>{2, 20, 200}));
}

TEST(Autograd, BackwardOfSeveralOutputs) {
  Tensor x = from_vector(std::vector<float>{3}).requires_grad_();
  Tensor a = x * 2.0f, b = x * x;
  backward({a.sum(), b.sum()});
  EXPECT_EQ(x.grad().item<float>(), 8.0f);
}

TEST(Autograd, NoGradGuardAndDetach) {
  Tensor x = ones({2}).requires_grad_();
  {
    NoGradGuard no_grad;
    EXPECT_FALSE(is_grad_enabled());
    Tensor y = x * 2.0f;
    EXPECT_FALSE(y.requires_grad());
    x.mul_(3.0f);  // allowed without grad mode
  }
  EXPECT_TRUE(is_grad_enabled());
  Tensor d = (x * 2.0f).detach();
  EXPECT_FALSE(d.requires_grad());
  EXPECT_EQ(d.to_vector<float>(), (std::vector<float>{6, 6}));
  expect_error([&] { d.backward(); }, "backward", "does not require grad");
}

TEST(Autograd, InPlaceOnTensorsThatNeedGradIsRefused) {
  Tensor x = ones({2}).requires_grad_();
  expect_error([&] { x.add_(1.0f); }, "add_", "requires grad");
  expect_error([&] { x.zero_(); }, "fill_", "requires grad");
}

TEST(Autograd, OnlyFloatsRequireGrad) {
  Tensor i = zeros({2}, kInt64);
  expect_error([&] { i.requires_grad_(); }, "requires_grad_", "floating-point");
  Tensor x = ones({2}).requires_grad_();
  Tensor y = x * 2.0f;
  expect_error([&] { y.requires_grad_(false); }, "requires_grad_", "non-leaf");
}

TEST(Autograd, GradientsReachEachLeafAsItsOwnTensor) {
  Tensor a = ones({3}).requires_grad_(), b = ones({3}).requires_grad_();
  (a + b).sum().backward();
  {
    NoGradGuard no_grad;
    a.grad().mul_(5.0f);
  }
  EXPECT_EQ(b.grad().to_vector<float>(), (std::vector<float>{1, 1, 1}));
}

TEST(Autograd, DestroyingAVeryLongChainDoesNotOverflowTheStack) {
  Tensor x = ones({1}).requires_grad_();
  Tensor y = x;
  for (int i = 0; i < 100000; ++i) y = y * 1.0f;
  y.backward();
  EXPECT_EQ(x.grad().item<float>(), 1.0f);
  Tensor z = x;
  for (int i = 0; i < 100000; ++i) z = z.unsqueeze(0).squeeze(0);
  z = Tensor();  // the destructor walks the chain without recursion
  SUCCEED();
}

// Nodes keep only what their derivatives read: after linear + ReLU only ReLU's result
// stays (add keeps shapes, ReLU its output), and the weight's gradient of a linear layer is
// made in the weight's layout and kept without a transposing copy.
TEST(AutogradMemory, ALinearLayerKeepsOnlyWhatItsDerivativesRead) {
  constexpr int64_t kBatch = 4, kIn = 96, kOut = 64;  // a weight much larger than the activations
  constexpr size_t kActivation = kBatch * kOut * sizeof(float);
  constexpr size_t kWeight = kOut * kIn * sizeof(float);
  Tensor w = random_tensor({kOut, kIn}).requires_grad_();
  Tensor b = random_tensor({kOut}).requires_grad_();
  Tensor x = random_tensor({kBatch, kIn});
  size_t before = memory_stats(kCPU).allocated;
  Tensor loss = relu(matmul(x, w.transpose(0, 1)) + b).sum();
  size_t kept = memory_stats(kCPU).allocated - before;
  EXPECT_GE(kept, kActivation);
  EXPECT_LE(kept, kActivation + 64) << "the forward keeps more than ReLU's result (and the loss)";
  reset_peak_memory(kCPU);
  size_t at_backward = memory_stats(kCPU).allocated;
  loss.backward();
  ASSERT_TRUE(w.grad().is_contiguous());
  size_t grads = kWeight + kOut * sizeof(float);
  // The gradients themselves, and at most two activation-sized temporaries on the way.
  EXPECT_LE(memory_stats(kCPU).peak - at_backward, grads + 2 * kActivation + 64);
}

TEST(AutogradViews, Gradients) {
  Tensor x = random_tensor({3, 4, 5}, kFloat64, 5);
  expect_gradients_match([](const auto& in) { return in[0].transpose(0, 2); }, {x});
  expect_gradients_match([](const auto& in) { return in[0].permute({1, 2, 0}); }, {x});
  expect_gradients_match([](const auto& in) { return in[0].slice(1, 1, 4, 2); }, {x});
  expect_gradients_match([](const auto& in) { return in[0].select(2, -2); }, {x});
  expect_gradients_match([](const auto& in) { return in[0].t().reshape({-1}); },
                         {random_tensor({3, 4}, kFloat64)});
  expect_gradients_match(
      [](const auto& in) {
        return in[0].unsqueeze(1).expand({3, 2, 4, 5});
      },
      {x});
  expect_gradients_match([](const auto& in) { return in[0].flatten(1).unflatten(1, {5, 4}); }, {x});
  expect_gradients_match([](const auto& in) { return in[0].narrow(0, 1, 2).squeeze(); },
                         {random_tensor({3, 1, 2}, kFloat64)});
}

TEST(AutogradViews, ConversionsPassGradientsThrough) {
  Tensor x = from_vector(std::vector<float>{1.5f, -2.0f}).requires_grad_();
  Tensor y = x.to(kFloat64) * 3.0;
  EXPECT_EQ(y.dtype(), kFloat64);
  y.sum().backward();
  EXPECT_EQ(x.grad().dtype(), kFloat32);
  EXPECT_EQ(x.grad().to_vector<float>(), (std::vector<float>{3, 3}));
  expect_gradients_match([](const auto& in) { return in[0].t().contiguous().clone(); },
                         {random_tensor({2, 3}, kFloat64)});
}

}  // namespace
}  // namespace ember
