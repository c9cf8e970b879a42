// optim: every update rule against PyTorch's algorithm written out by hand in float64,
// state round trips, gradient clipping and schedules.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "ember/ember.h"
#include "test_util.h"

namespace ember {
namespace {

using test::expect_error;

constexpr int kSteps = 4;

// A parameter and a fixed sequence of gradients for it.
struct Problem {
  std::vector<double> start = test::random_values(7, 21);
  std::vector<std::vector<double>> grads = {test::random_values(7, 22), test::random_values(7, 23),
                                            test::random_values(7, 24), test::random_values(7, 25)};
};

// Runs the optimizer made by make over the problem's gradients; returns the parameter.
template <typename Make>
std::vector<double> run(const Problem& problem, DType dtype, Make make) {
  Tensor p = from_vector(problem.start).to(dtype).requires_grad_();
  auto optimizer = make(std::vector<Tensor>{p});
  for (const auto& g : problem.grads) {
    p.set_grad(from_vector(g).to(dtype));
    optimizer.step();
  }
  return p.to_vector<double>();
}

std::vector<double> reference_sgd(const Problem& pr, double lr, double momentum, double dampening,
                                  double wd, bool nesterov) {
  std::vector<double> p = pr.start, buf(7);
  for (int t = 0; t < kSteps; ++t) {
    for (size_t i = 0; i < 7; ++i) {
      double g = pr.grads[t][i] + wd * p[i];
      if (momentum != 0) {
        buf[i] = t == 0 ? g : momentum * buf[i] + (1 - dampening) * g;
        g = nesterov ? g + momentum * buf[i] : buf[i];
      }
      p[i] -= lr * g;
    }
  }
  return p;
}

std::vector<double> reference_adam(const Problem& pr, double lr, double b1, double b2, double eps,
                                   double wd, bool decoupled) {
  std::vector<double> p = pr.start, m(7), v(7);
  for (int t = 1; t <= kSteps; ++t) {
    for (size_t i = 0; i < 7; ++i) {
      double g = pr.grads[t - 1][i];
      if (decoupled) {
        p[i] *= 1 - lr * wd;
      } else {
        g += wd * p[i];
      }
      m[i] = b1 * m[i] + (1 - b1) * g;
      v[i] = b2 * v[i] + (1 - b2) * g * g;
      double denom = std::sqrt(v[i]) / std::sqrt(1 - std::pow(b2, t)) + eps;
      p[i] -= lr / (1 - std::pow(b1, t)) * m[i] / denom;
    }
  }
  return p;
}

void expect_close(const std::vector<double>& got, const std::vector<double>& want, double tol) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << "element " << i;
}

TEST(SGD, MatchesPyTorchsRule) {
  Problem pr;
  struct Case {
    double momentum, dampening, wd;
    bool nesterov;
  };
  for (Case c : {Case{0, 0, 0, false}, Case{0.9, 0, 0, false}, Case{0.9, 0.3, 0.01, false},
                 Case{0.8, 0, 0.05, true}}) {
    auto make = [&](std::vector<Tensor> ps) {
      return optim::SGD(ps, {.lr = 0.1,
                             .momentum = c.momentum,
                             .dampening = c.dampening,
                             .weight_decay = c.wd,
                             .nesterov = c.nesterov});
    };
    std::vector<double> want = reference_sgd(pr, 0.1, c.momentum, c.dampening, c.wd, c.nesterov);
    expect_close(run(pr, kFloat64, make), want, 1e-14);
    expect_close(run(pr, kFloat32, make), want, 1e-5);
  }
}

TEST(Adam, MatchesPyTorchsRule) {
  Problem pr;
  for (double wd : {0.0, 0.1}) {
    auto make = [&](std::vector<Tensor> ps) {
      return optim::Adam(
          ps, {.lr = 0.01, .beta1 = 0.8, .beta2 = 0.99, .eps = 1e-6, .weight_decay = wd});
    };
    std::vector<double> want = reference_adam(pr, 0.01, 0.8, 0.99, 1e-6, wd, false);
    expect_close(run(pr, kFloat64, make), want, 1e-14);
    expect_close(run(pr, kFloat32, make), want, 1e-5);
  }
}

TEST(AdamW, DecouplesWeightDecay) {
  Problem pr;
  auto make = [](std::vector<Tensor> ps) {
    return optim::AdamW(ps, {.lr = 0.05, .weight_decay = 0.3});
  };
  std::vector<double> want = reference_adam(pr, 0.05, 0.9, 0.999, 1e-8, 0.3, true);
  expect_close(run(pr, kFloat64, make), want, 1e-14);
  EXPECT_GT(std::abs(want[0] - reference_adam(pr, 0.05, 0.9, 0.999, 1e-8, 0.3, false)[0]), 1e-4);
}

TEST(Optimizer, SkipsParametersWithoutGradientsAndZeroGradClears) {
  Tensor a = ones({3}).requires_grad_(), b = ones({3}).requires_grad_();
  optim::SGD sgd({a, b}, {.lr = 0.5});
  a.set_grad(ones({3}));
  sgd.step();
  EXPECT_EQ(a.to_vector<float>(), std::vector<float>(3, 0.5f));
  EXPECT_EQ(b.to_vector<float>(), std::vector<float>(3, 1.0f));
  sgd.zero_grad(/*set_to_none=*/false);
  EXPECT_TRUE(equal(a.grad(), zeros({3})));
  sgd.zero_grad();
  EXPECT_FALSE(a.grad().defined());
}

TEST(Optimizer, StateDictResumesBitForBit) {
  Problem pr;
  auto make = [](Tensor p) { return optim::AdamW({p}, {.lr = 0.01}); };
  Tensor straight = from_vector(pr.start).requires_grad_();
  auto opt = make(straight);
  for (const auto& g : pr.grads) {
    straight.set_grad(from_vector(g));
    opt.step();
  }
  Tensor resumed = from_vector(pr.start).requires_grad_();
  TensorDict saved;
  {
    auto first = make(resumed);
    for (int t = 0; t < 2; ++t) {
      resumed.set_grad(from_vector(pr.grads[t]));
      first.step();
    }
    saved = first.state_dict();
  }
  auto second = make(resumed);
  second.load_state_dict(saved);
  EXPECT_EQ(second.steps(), 2);
  for (int t = 2; t < kSteps; ++t) {
    resumed.set_grad(from_vector(pr.grads[t]));
    second.step();
  }
  EXPECT_EQ(resumed.to_vector<double>(), straight.to_vector<double>());
  TensorDict bad = saved;
  bad["state.0.exp_avg"] = zeros({2});
  expect_error([&] { second.load_state_dict(bad); }, "load_state_dict", "shape");
  bad.erase("step");
  expect_error([&] { second.load_state_dict(bad); }, "load_state_dict", "'step'");
}

// As PyTorch: a parameter's state starts at its first gradient, not the optimizer's.
TEST(Optimizer, AParameterThatGetsGradientsLateStartsFresh) {
  Tensor early = ones({1}, kFloat64).requires_grad_(), late = ones({1}, kFloat64).requires_grad_();
  optim::Adam adam({early, late}, {.lr = 0.1});
  optim::SGD sgd({early, late}, {.lr = 0.1, .momentum = 0.9, .dampening = 0.5});
  for (optim::Optimizer* opt : std::vector<optim::Optimizer*>{&adam, &sgd}) {
    early.set_grad(ones({1}, kFloat64));
    late.set_grad(Tensor());
    for (int t = 0; t < 5; ++t) opt->step();
    double before = late.item<double>();
    late.set_grad(full({1}, 2.0, kFloat64));
    opt->step();
    // Adam's first step moves by lr whatever the gradient; SGD's first buffer is the gradient.
    double moved = before - late.item<double>();
    EXPECT_NEAR(moved, opt == &adam ? 0.1 : 0.2, 1e-9);
  }
}

TEST(Optimizer, LoadingChecksEverythingBeforeChangingAnything) {
  Tensor p = ones({3}).requires_grad_();
  optim::AdamW a({p}), b({p});
  p.set_grad(ones({3}));
  a.step();
  TensorDict state = a.state_dict();
  std::vector<float> saved_avg = state.at("state.0.exp_avg").to_vector<float>();
  b.load_state_dict(state);
  p.set_grad(ones({3}));
  b.step();
  EXPECT_EQ(state.at("state.0.exp_avg").to_vector<float>(), saved_avg)
      << "loaded state must be a copy";
  auto refused = [&](const TensorDict& bad, const std::string& needle) {
    int64_t steps = b.steps();
    expect_error([&] { b.load_state_dict(bad); }, "load_state_dict", needle);
    EXPECT_EQ(b.steps(), steps);
  };
  TensorDict bad = state;
  bad["state.x.exp_avg"] = ones({3});
  refused(bad, "unexpected optimizer state key");
  bad = state;
  bad["state.0.momentum_buffer"] = ones({3});
  refused(bad, "not state that AdamW keeps");
  bad = state;
  bad["state.7.exp_avg"] = ones({3});
  refused(bad, "parameter 7");
  bad = state;
  bad["lr"] = scalar_tensor(-1.0, kFloat64);
  refused(bad, "lr -1");
}

// Keys and shapes come from the checkpoint file: a message quotes only their first characters.
TEST(Optimizer, LoadingQuotesHostileKeysAndShapesInPart) {
  Tensor p = ones({3}).requires_grad_();
  optim::AdamW adamw({p});
  p.set_grad(ones({3}));
  adamw.step();
  TensorDict state = adamw.state_dict();
  std::string long_name(1'000'000, 'x');
  std::string cut = long_name.substr(0, 94);
  auto refused = [&](const TensorDict& bad, const std::string& needle) {
    try {
      optim::AdamW({p}).load_state_dict(bad);
      ADD_FAILURE() << "expected ember::Error";
    } catch (const Error& e) {
      std::string message = e.what();
      EXPECT_LT(message.size(), 400u) << message.substr(0, 400);
      EXPECT_NE(message.find(needle), std::string::npos) << message.substr(0, 400);
    }
  };
  TensorDict bad = state;
  bad[std::string("state.").append(long_name)] = ones({3});
  refused(bad, std::string("unexpected optimizer state key 'state.").append(cut).append("...'"));
  bad = state;
  bad[std::string("state.0.").append(long_name)] = ones({3});
  refused(bad,
          std::string("'state.0.").append(cut, 0, 92).append("...' is not state that AdamW keeps"));
  bad = state;
  bad[std::string("state.9.").append(long_name)] = ones({3});
  refused(bad, "' is for parameter 9 but the optimizer has 1");
  bad = state;
  bad["state.0.exp_avg"] = ones(Shape(100'000, 1));
  refused(bad, "'state.0.exp_avg' has shape [1,1,1,");
  refused(bad, ",1... but its parameter has [3]");
}

// A state that lost a buffer used to resume silently from zeros for it.
TEST(Optimizer, AStateMissingABufferIsRefusedNamingParameterAndBuffer) {
  Tensor p = ones({3}).requires_grad_(), q = ones({2}).requires_grad_();
  optim::Adam adam({p, q});
  p.set_grad(ones({3}));
  adam.step();  // q has no gradient: it has no state, and needs none
  TensorDict state = adam.state_dict();
  EXPECT_EQ(state.count("state.1.exp_avg"), 0u);
  optim::Adam fresh({p, q});
  fresh.load_state_dict(state);
  EXPECT_EQ(fresh.steps(), 1);
  TensorDict bad = state;
  bad.erase("state.0.exp_avg_sq");
  expect_error([&] { fresh.load_state_dict(bad); }, "load_state_dict",
               "the state of parameter 0 has no 'exp_avg_sq' (state.0.exp_avg_sq)");
  bad = state;
  bad.erase("state.0.exp_avg");
  bad.erase("state.0.exp_avg_sq");
  expect_error([&] { fresh.load_state_dict(bad); }, "load_state_dict", "has no 'exp_avg'");
  bad = state;
  bad["state.1.exp_avg"] = zeros({2});
  expect_error([&] { fresh.load_state_dict(bad); }, "load_state_dict",
               "the state of parameter 1 has no 'exp_avg_sq'");
  optim::SGD sgd({p}, {.lr = 0.1, .momentum = 0.9});
  sgd.step();
  TensorDict momentum = sgd.state_dict();
  EXPECT_EQ(momentum.count("state.0.momentum_buffer"), 1u);
  optim::SGD({p}, {.lr = 0.1, .momentum = 0.9}).load_state_dict(momentum);
}

TEST(Optimizer, ABufferOfAnotherDtypeOrShapeIsRefused) {
  Tensor p = ones({3}).requires_grad_();
  optim::AdamW adamw({p});
  p.set_grad(ones({3}));
  adamw.step();
  TensorDict bad = adamw.state_dict();
  bad["state.0.exp_avg_sq"] = zeros({3}, kInt64);
  expect_error([&] { adamw.load_state_dict(bad); }, "load_state_dict",
               "'state.0.exp_avg_sq' is int64 but its parameter is float32");
  bad["state.0.exp_avg_sq"] = zeros({3, 1});
  expect_error([&] { adamw.load_state_dict(bad); }, "load_state_dict",
               "'state.0.exp_avg_sq' has shape [3,1] but its parameter has [3]");
}

// A NaN or 1e300 count was cast to int64 (undefined) and then called "negative".
TEST(Optimizer, StepCountsMustBeFiniteIntegersInRange) {
  Tensor p = ones({3}).requires_grad_();
  optim::Adam adam({p});
  p.set_grad(ones({3}));
  adam.step();
  TensorDict state = adam.state_dict();
  auto refused = [&](const std::string& key, Tensor count, const std::string& needle) {
    TensorDict bad = state;
    bad[key] = count;
    expect_error([&] { adam.load_state_dict(bad); }, "load_state_dict", needle);
    EXPECT_EQ(adam.steps(), 1);
  };
  refused("step", scalar_tensor(NAN, kFloat64), "'step' is nan, not a finite integer in [0, 2^62]");
  refused("step", scalar_tensor(1e300, kFloat64), "'step' is 1e+300, not a finite integer");
  refused("step", scalar_tensor(2.5, kFloat32), "'step' is 2.5, not a finite integer");
  refused("step", scalar_tensor(-1, kInt64), "'step' is -1, not an integer in [0, 2^62]");
  refused("state.0.step", scalar_tensor(INFINITY, kFloat32), "'state.0.step' is inf");
  refused("state.0.step", scalar_tensor(std::numeric_limits<int64_t>::max(), kInt64),
          "'state.0.step' is 9223372036854775807, not an integer in [0, 2^62]");
  refused("lr", scalar_tensor(NAN, kFloat64), "optimizer state has lr nan, not a finite number");
  TensorDict as_pytorch = state;  // PyTorch keeps counts as float tensors
  as_pytorch["step"] = scalar_tensor(7.0, kFloat32);
  as_pytorch["state.0.step"] = scalar_tensor(7.0, kFloat32);
  adam.load_state_dict(as_pytorch);
  EXPECT_EQ(adam.steps(), 7);
}

TEST(Optimizer, BadArgumentsAreRefused) {
  Tensor frozen = ones({2});
  expect_error([&] { optim::SGD({frozen}); }, "SGD", "require grad");
  expect_error([] { optim::Adam({}); }, "Adam", "empty");
  Tensor p = ones({2}).requires_grad_();
  expect_error([&] { optim::SGD({p}, {.lr = -1}); }, "SGD", "learning rate");
  expect_error([&] { optim::AdamW({p}, {.beta1 = 1.0}); }, "AdamW", "betas");
  expect_error([&] { optim::SGD({p}, {.nesterov = true}); }, "SGD", "nesterov");
}

TEST(ClipGradNorm, ScalesToTheMaximumAndReturnsTheNorm) {
  Tensor a = ones({2}).requires_grad_(), b = ones({2}).requires_grad_();
  a.set_grad(from_vector(std::vector<float>{3, 0}));
  b.set_grad(from_vector(std::vector<float>{0, 4}));
  EXPECT_NEAR(optim::clip_grad_norm_({a, b}, 1.0), 5.0, 1e-6);
  EXPECT_NEAR(a.grad().to_vector<double>()[0], 3.0 / (5 + 1e-6), 1e-6);
  EXPECT_NEAR(b.grad().to_vector<double>()[1], 4.0 / (5 + 1e-6), 1e-6);
  EXPECT_NEAR(optim::clip_grad_norm_({a, b}, 10.0), 1.0, 1e-5);  // below: unchanged
  EXPECT_NEAR(a.grad().to_vector<double>()[0], 0.6, 1e-5);
}

TEST(Schedules, StepAndWarmupCosine) {
  Tensor p = ones({1}).requires_grad_();
  optim::SGD sgd({p}, {.lr = 1.0});
  optim::StepLR step(sgd, 2, 0.5);
  std::vector<double> seen;
  for (int i = 0; i < 5; ++i) {
    step.step();
    seen.push_back(sgd.lr());
  }
  EXPECT_EQ(seen, (std::vector<double>{1.0, 0.5, 0.5, 0.25, 0.25}));

  optim::SGD sgd2({p}, {.lr = 2.0});
  optim::WarmupCosineLR cosine(sgd2, 4, 12, 0.1);
  EXPECT_DOUBLE_EQ(sgd2.lr(), 0.5);
  for (int i = 0; i < 3; ++i) cosine.step();
  EXPECT_DOUBLE_EQ(sgd2.lr(), 2.0);
  for (int i = 0; i < 5; ++i) cosine.step();  // halfway through the decay
  EXPECT_NEAR(sgd2.lr(), 0.1 + 1.9 * 0.5 * (1 + std::cos(M_PI * 0.5)), 1e-12);
  for (int i = 0; i < 10; ++i) cosine.step();
  EXPECT_DOUBLE_EQ(sgd2.lr(), 0.1);
  expect_error([&] { optim::WarmupCosineLR(sgd2, 5, 5); }, "WarmupCosineLR", "warmup_steps");
}

}  // namespace
}  // namespace ember
