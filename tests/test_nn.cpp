// nn: modules (names, state, modes, devices), layers against float64 references, and
// the losses of nn::functional against PyTorch's formulas, with gradient checks.
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "ember/ember.h"
#include "test_util.h"

namespace ember {
namespace {

namespace F = nn::functional;
using test::expect_error;
using test::random_tensor;

std::vector<std::string> names_of(const nn::NamedTensors& named) {
  std::vector<std::string> names;
  for (const auto& entry : named) names.push_back(entry.first);
  return names;
}

struct Net : nn::Module {
  std::shared_ptr<nn::Linear> fc1, fc2;
  std::shared_ptr<nn::Sequential> head;
  Net() {
    fc1 = register_module("fc1", nn::Linear(6, 5));
    fc2 = register_module("fc2", nn::Linear(5, 4, /*bias=*/false));
    head = register_module("head", nn::Sequential(nn::ReLU(), nn::Linear(4, 3)));
    register_buffer("calls", zeros({1}, kInt64));
  }
  Tensor forward(const Tensor& x) override { return head->forward(fc2->forward(fc1->forward(x))); }
  std::string describe() const override { return "Net"; }
};

TEST(Module, ParametersAndBuffersHaveDottedNames) {
  Net net;
  EXPECT_EQ(names_of(net.named_parameters()),
            (std::vector<std::string>{"fc1.weight", "fc1.bias", "fc2.weight", "head.1.weight",
                                      "head.1.bias"}));
  EXPECT_EQ(names_of(net.named_buffers()), (std::vector<std::string>{"calls"}));
  EXPECT_EQ(net.parameters().size(), 5u);
  for (const Tensor& p : net.parameters()) EXPECT_TRUE(p.requires_grad());
  EXPECT_EQ(net.state_dict().size(), 6u);
}

TEST(Module, SharedSubmodulesCountOnce) {
  struct Tied : nn::Module {
    Tied() {
      auto shared = register_module("a", nn::Linear(3, 3));
      register_module("b", shared);
    }
  };
  Tied tied;
  EXPECT_EQ(names_of(tied.named_parameters()), (std::vector<std::string>{"a.weight", "a.bias"}));
  Tensor p = ones({2}).requires_grad_();
  expect_error([&] { optim::SGD({p, p}); }, "SGD", "appears twice");
}

TEST(Module, PrintsLikePyTorch) {
  nn::Sequential model(nn::Linear(4, 3), nn::ReLU(), nn::Dropout(0.25));
  EXPECT_EQ(model.to_string(),
            "Sequential(\n"
            "  (0): Linear(in_features=4, out_features=3, bias=True)\n"
            "  (1): ReLU()\n"
            "  (2): Dropout(p=0.25)\n"
            ")");
}

TEST(Module, RegistrationErrorsNameTheProblem) {
  struct Bad : nn::Module {
    void twice() {
      register_parameter("w", ones({1}));
      register_parameter("w", ones({1}));
    }
    void dotted() { register_buffer("a.b", ones({1})); }
  };
  Bad bad;
  expect_error([&] { bad.twice(); }, "register", "already registered");
  expect_error([&] { bad.dotted(); }, "register", "without dots");
  expect_error([&] { Bad().forward(ones({1})); }, "forward", "no single-input forward");
}

TEST(Module, StateDictRoundTripsIntoAFreshModel) {
  manual_seed(1);
  Net a;
  manual_seed(2);
  Net b;
  Tensor x = random_tensor({2, 6});
  EXPECT_FALSE(allclose(a(x), b(x)));
  b.load_state_dict(a.state_dict());
  EXPECT_TRUE(equal(a(x), b(x)));
  // Loading copies values: the models do not share storage afterwards.
  EXPECT_FALSE(a.fc1->weight.is_alias_of(b.fc1->weight));
}

TEST(Module, LoadStateDictListsEveryMismatchAndChangesNothing) {
  Net net;
  TensorDict state = net.state_dict();
  Tensor before = net.fc1->weight.clone();
  state.erase("fc2.weight");
  state["extra"] = ones({1});
  state["fc1.weight"] = zeros({5, 7});
  try {
    net.load_state_dict(state);
    ADD_FAILURE() << "expected ember::Error";
  } catch (const Error& e) {
    std::string message = e.what();
    EXPECT_EQ(message.rfind("[load_state_dict]", 0), 0u) << message;
    EXPECT_NE(message.find("missing keys: fc2.weight"), std::string::npos) << message;
    EXPECT_NE(message.find("unexpected keys: extra"), std::string::npos) << message;
    EXPECT_NE(message.find("fc1.weight (expected [5,6], got [5,7])"), std::string::npos) << message;
    EXPECT_EQ(message.find(";;"), std::string::npos) << message;
    EXPECT_NE(message.back(), ';') << message;
    EXPECT_NE(
        message.find("Net: missing keys: fc2.weight; unexpected keys: extra; shape mismatches: "
                     "fc1.weight (expected [5,6], got [5,7])"),
        std::string::npos)
        << message;
  }
  state.erase("extra");
  state["fc2.weight"] = zeros({4, 5});
  expect_error([&] { net.load_state_dict(state); }, "load_state_dict",
               "shape mismatches: fc1.weight (expected [5,6], got [5,7])");
  EXPECT_TRUE(equal(net.fc1->weight, before));
  state.erase("extra");
  state["fc1.weight"] = zeros({5, 6});
  state["fc2.weight"] = zeros({4, 5});
  net.load_state_dict(state, /*strict=*/true);
  EXPECT_TRUE(equal(net.fc1->weight, zeros({5, 6})));
}

// A checkpoint's keys and shapes come from the file: the message quotes a few, each cut short.
TEST(Module, LoadStateDictQuotesAHostileStateInPart) {
  Net net;
  TensorDict state = net.state_dict();
  for (int i = 0; i < 1000; ++i)
    state[std::to_string(1000 + i) + std::string(5000, 'k')] = ones({1});
  state["fc1.weight"] = ones(Shape(100'000, 1));
  try {
    net.load_state_dict(state);
    ADD_FAILURE() << "expected ember::Error";
  } catch (const Error& e) {
    std::string message = e.what();
    EXPECT_LT(message.size(), 2000u) << message.substr(0, 2000);
    std::string first_key = "unexpected keys: 1000" + std::string(96, 'k');
    EXPECT_NE(message.find(first_key.append("..., 1001")), std::string::npos) << message;
    EXPECT_NE(
        message.find(" and 995 more; shape mismatches: fc1.weight (expected [5,6], got [1,1,"),
        std::string::npos)
        << message;
    EXPECT_NE(message.find(",1...)"), std::string::npos) << message;
  }
}

TEST(Module, NonStrictLoadSkipsMissingKeys) {
  Net net;
  TensorDict partial{{"fc2.weight", full({4, 5}, 0.5)}, {"unknown", ones({2})}};
  net.load_state_dict(partial, /*strict=*/false);
  EXPECT_TRUE(equal(net.fc2->weight, full({4, 5}, 0.5)));
}

TEST(Module, TrainAndEvalReachSubmodules) {
  Net net;
  net.eval();
  EXPECT_FALSE(net.is_training());
  EXPECT_FALSE(net.head->is_training());
  net.train();
  EXPECT_TRUE(net.fc1->is_training());
}

TEST(Module, ConversionKeepsHandlesSoOptimizersFollow) {
  Net net;
  Tensor handle = net.fc1->weight;
  optim::Adam adam(net.parameters());
  Tensor x = random_tensor({3, 6});
  net(x).sum().backward();
  adam.step();
  net.to(kFloat64);
  net(x.to(kFloat64)).sum().backward();
  adam.step();  // its float32 state follows the parameters to float64
  EXPECT_TRUE(std::isfinite(net.fc1->weight.sum().item<double>()));
  EXPECT_EQ(handle.dtype(), kFloat64);
  EXPECT_EQ(net.parameters()[0].dtype(), kFloat64);
  ASSERT_TRUE(handle.grad().defined());
  EXPECT_EQ(handle.grad().dtype(), kFloat64);
  EXPECT_EQ(net.named_buffers()[0].second.dtype(), kInt64);  // integers stay
  expect_error([&] { net.to(kInt32); }, "to", "floating-point");
  expect_error([&] { net.to(Device("vulkan:99")); }, "device", "no device vulkan:99");
}

TEST(Module, ZeroGradClearsOrZeroes) {
  nn::Linear layer(3, 2);
  layer(random_tensor({4, 3})).sum().backward();
  ASSERT_TRUE(layer.weight.grad().defined());
  layer.zero_grad(/*set_to_none=*/false);
  EXPECT_TRUE(equal(layer.weight.grad(), zeros({2, 3})));
  layer.zero_grad();
  EXPECT_FALSE(layer.weight.grad().defined());
}

TEST(Linear, ForwardMatchesFloat64Reference) {
  nn::Linear layer(7, 3);
  Tensor x = random_tensor({5, 7}, kFloat32, 3);
  std::vector<double> xs = x.to_vector<double>(), w = layer.weight.to_vector<double>(),
                      b = layer.bias.to_vector<double>();
  std::vector<double> want(15);
  for (int i = 0; i < 5; ++i) {
    for (int o = 0; o < 3; ++o) {
      double acc = b[o];
      for (int k = 0; k < 7; ++k) acc += xs[i * 7 + k] * w[o * 7 + k];
      want[i * 3 + o] = acc;
    }
  }
  EXPECT_NMSE_BELOW(layer(x), want, 1e-12);
  expect_error([&] { layer(random_tensor({5, 6})); }, "linear", "in_features 7");
}

// A dtype mismatch used to be reported by matmul, an op the user never called.
TEST(Linear, MismatchedInputsNameLinear) {
  nn::Linear layer(4, 3);
  expect_error(
      [&] {
        layer(ones({2, 4}, kFloat64));
      },
      "linear", "input is float64 but weight is float32");
  expect_error([&] { layer(ones({2, 4}, kInt64)); }, "linear", "input is int64");
  expect_error([&] { layer(ones({2, 5})); }, "linear", "does not end in in_features 4");
  expect_error(
      [&] {
        nn::functional::linear(ones({2, 4}), ones({3, 4}), ones({4}));
      },
      "linear", "bias must be [3], got [4]");
  expect_error(
      [&] {
        nn::functional::linear(ones({2, 4}), ones({3, 4}), ones({3}, kFloat64));
      },
      "linear", "bias is float64");
  EXPECT_EQ(layer(ones({2, 4})).shape(), (Shape{2, 3}));
}

TEST(Linear, InitialisationIsPyTorchsKaimingUniform) {
  manual_seed(0);
  nn::Linear layer(400, 300);
  double bound = 1 / std::sqrt(400.0);
  std::vector<double> w = layer.weight.to_vector<double>();
  double lo = *std::min_element(w.begin(), w.end()), hi = *std::max_element(w.begin(), w.end());
  EXPECT_GE(lo, -bound);
  EXPECT_LE(hi, bound);
  EXPECT_GT(hi, 0.99 * bound);  // 120,000 draws reach the edges
  EXPECT_LT(lo, -0.99 * bound);
  double variance = 0;
  for (double v : w) variance += v * v / static_cast<double>(w.size());
  EXPECT_NEAR(variance, bound * bound / 3, 0.02 * bound * bound);  // uniform's variance
  std::vector<double> b = layer.bias.to_vector<double>();
  EXPECT_LE(*std::max_element(b.begin(), b.end()), bound);
  EXPECT_GE(*std::min_element(b.begin(), b.end()), -bound);
}

TEST(Layers, ActivationsFlattenAndEmbedding) {
  Tensor x = random_tensor({2, 3, 4});
  EXPECT_TRUE(equal(nn::ReLU()(x), relu(x)));
  EXPECT_TRUE(equal(nn::GELU("tanh")(x), gelu(x, "tanh")));
  EXPECT_TRUE(equal(nn::SiLU()(x), silu(x)));
  EXPECT_TRUE(equal(nn::Tanh()(x), tanh(x)));
  EXPECT_TRUE(equal(nn::Sigmoid()(x), sigmoid(x)));
  EXPECT_EQ(nn::Flatten()(x).shape(), (Shape{2, 12}));
  expect_error([] { nn::GELU("fast"); }, "GELU", "approximate");
  nn::Embedding table(10, 4);
  Tensor rows = table(from_vector(std::vector<int64_t>{3, 3, 9}));
  EXPECT_TRUE(equal(rows.select(0, 1), table.weight.select(0, 3)));
  EXPECT_EQ(table.describe(), "Embedding(10, 4)");
}

TEST(Dropout, ScalesKeptValuesAndIsIdentityInEval) {
  manual_seed(3);
  nn::Dropout drop(0.25);
  Tensor x = ones({100000});
  std::vector<double> y = drop(x).to_vector<double>();
  int64_t zeros_seen = 0;
  for (double v : y) {
    if (v == 0) {
      ++zeros_seen;
    } else {
      EXPECT_NEAR(v, 1 / 0.75, 1e-6);
    }
  }
  EXPECT_NEAR(static_cast<double>(zeros_seen) / 100000, 0.25, 0.01);
  drop.eval();
  EXPECT_TRUE(equal(drop(x), x));
  expect_error([] { nn::Dropout(1.5); }, "Dropout", "[0, 1]");
}

// PyTorch's cross_entropy for class indices, in float64 by hand.
double reference_cross_entropy(const std::vector<double>& logits,
                               const std::vector<int64_t>& target, int64_t classes, int64_t ignore,
                               double smoothing) {
  double total = 0;
  int64_t counted = 0;
  for (size_t n = 0; n < target.size(); ++n) {
    if (target[n] == ignore) continue;
    const double* row = &logits[n * classes];
    double m = *std::max_element(row, row + classes), s = 0;
    for (int64_t c = 0; c < classes; ++c) s += std::exp(row[c] - m);
    double lse = m + std::log(s), uniform = 0;
    for (int64_t c = 0; c < classes; ++c) uniform += (lse - row[c]) / classes;
    total += (1 - smoothing) * (lse - row[target[n]]) + smoothing * uniform;
    ++counted;
  }
  return total / counted;
}

TEST(CrossEntropy, MatchesPyTorchsFormula) {
  Tensor logits = random_tensor({6, 5}, kFloat32, 4) * 3.0f;
  std::vector<int64_t> target{0, 4, 2, -100, 1, 3};
  Tensor t = from_vector(target);
  std::vector<double> l = logits.to_vector<double>();
  for (double smoothing : {0.0, 0.1}) {
    F::CrossEntropyOptions options{.label_smoothing = smoothing};
    double got = F::cross_entropy(logits, t, options).item<double>();
    EXPECT_NEAR(got, reference_cross_entropy(l, target, 5, -100, smoothing), 1e-5);
  }
  Tensor none = F::cross_entropy(logits, t, {.reduction = F::Reduction::None});
  EXPECT_EQ(none.shape(), (Shape{6}));
  EXPECT_EQ(none.to_vector<double>()[3], 0.0);
  double summed = F::cross_entropy(logits, t, {.reduction = F::Reduction::Sum}).item<double>();
  EXPECT_NEAR(summed, 5 * reference_cross_entropy(l, target, 5, -100, 0), 1e-4);
}

TEST(CrossEntropy, GradientsMatchCentralDifferences) {
  Tensor target = from_vector(std::vector<int64_t>{2, 0, 1, 2});
  test::expect_gradients_match(
      [&](const std::vector<Tensor>& in) {
        return F::cross_entropy(in[0], target, {.label_smoothing = 0.2});
      },
      {random_tensor({4, 3}, kFloat64, 5)});
  test::expect_gradients_match(
      [&](const std::vector<Tensor>& in) {
        return F::nll_loss(log_softmax(in[0], 1), target, {.reduction = F::Reduction::Sum});
      },
      {random_tensor({4, 3}, kFloat64, 6)});
}

// The classes are checked by gather where the data is, so a GPU run does not wait for them.
TEST(NllLoss, ClassesOutOfRangeNameTheOp) {
  Tensor log_probs = log_softmax(random_tensor({3, 4}), 1);
  expect_error(
      [&] {
        F::nll_loss(log_probs, from_vector(std::vector<int64_t>{0, 4, 1}));
      },
      "nll_loss", "index 4 is out of range for dimension 1 with size 4");
  expect_error(
      [&] {
        F::nll_loss(log_probs, from_vector(std::vector<int64_t>{-2, 0, 1}));
      },
      "nll_loss", "index -2 is out of range");
  Tensor ignored = F::nll_loss(log_probs, from_vector(std::vector<int64_t>{-100, 0, 1}));
  EXPECT_TRUE(std::isfinite(ignored.item<float>()));
}

TEST(CrossEntropy, BadInputsAreRefused) {
  Tensor logits = random_tensor({3, 4});
  expect_error(
      [&] {
        F::cross_entropy(logits, from_vector(std::vector<int64_t>{0, 1}));
      },
      "cross_entropy", "does not match");
  expect_error(
      [&] {
        F::cross_entropy(logits, from_vector(std::vector<int64_t>{0, 4, 1}));
      },
      "cross_entropy", "out of range");
  expect_error([&] { F::cross_entropy(logits, random_tensor({3})); }, "cross_entropy",
               "integer class indices");
  expect_error([&] { F::cross_entropy(random_tensor({3}), from_vector(std::vector<int64_t>{0})); },
               "cross_entropy", "[N, C]");
}

TEST(Losses, RegressionLossesMatchTheirFormulas) {
  Tensor a = random_tensor({3, 4}, kFloat64, 7), b = random_tensor({3, 4}, kFloat64, 8);
  std::vector<double> x = a.to_vector<double>(), y = b.to_vector<double>();
  double mse = 0, l1 = 0, bce = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    mse += (x[i] - y[i]) * (x[i] - y[i]) / 12;
    l1 += std::abs(x[i] - y[i]) / 12;
    double p = 1 / (1 + std::exp(-x[i])), t = (y[i] + 2) / 4;
    bce += -(t * std::log(p) + (1 - t) * std::log(1 - p)) / 12;
  }
  EXPECT_NEAR(F::mse_loss(a, b).item<double>(), mse, 1e-12);
  EXPECT_NEAR(F::l1_loss(a, b).item<double>(), l1, 1e-12);
  Tensor probability = (b + 2.0) / 4.0;
  EXPECT_NEAR(F::binary_cross_entropy_with_logits(a, probability).item<double>(), bce, 1e-12);
  expect_error([&] { F::mse_loss(a, b.reshape({4, 3})); }, "mse_loss", "differ");
  for (auto loss : {F::mse_loss, F::l1_loss, F::binary_cross_entropy_with_logits}) {
    test::expect_gradients_match(
        [&](const std::vector<Tensor>& in) { return loss(in[0], in[1], F::Reduction::Mean); },
        {a, probability});
  }
}

TEST(LayerNorm, MatchesTheReferenceAndItsGradients) {
  Tensor x = random_tensor({4, 6}, kFloat64, 9);
  Tensor w = random_tensor({6}, kFloat64, 10), b = random_tensor({6}, kFloat64, 11);
  std::vector<double> xs = x.to_vector<double>(), ws = w.to_vector<double>(),
                      bs = b.to_vector<double>(), want(24);
  for (int r = 0; r < 4; ++r) {
    double m = 0, v = 0;
    for (int c = 0; c < 6; ++c) m += xs[r * 6 + c] / 6;
    for (int c = 0; c < 6; ++c) v += (xs[r * 6 + c] - m) * (xs[r * 6 + c] - m) / 6;
    for (int c = 0; c < 6; ++c) {
      want[r * 6 + c] = (xs[r * 6 + c] - m) / std::sqrt(v + 1e-5) * ws[c] + bs[c];
    }
  }
  EXPECT_NMSE_BELOW(F::layer_norm(x, {6}, w, b), want, 1e-24);
  test::expect_gradients_match(
      [](const std::vector<Tensor>& in) { return F::layer_norm(in[0], {6}, in[1], in[2]); },
      {x, w, b});
  nn::LayerNorm layer({6});
  EXPECT_TRUE(allclose(layer(x.to(kFloat32)), F::layer_norm(x, {6}).to(kFloat32), 1e-5, 1e-5));
  expect_error([&] { F::layer_norm(x, {5}); }, "layer_norm", "does not end in");
}

}  // namespace
}  // namespace ember
