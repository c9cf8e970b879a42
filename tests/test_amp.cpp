// Mixed precision on the CPU: AutocastGuard's op lists, nesting, threads and cast cache,
// gradients through autocast against float64, and GradScaler's scale sequence and errors.
#include <cmath>
#include <limits>
#include <thread>

#include "autograd/autocast.h"
#include "test_util.h"

namespace ember::test {
namespace {

namespace F = nn::functional;

// bfloat16 keeps 8 significant bits: inputs and outputs each round by up to 2^-9
// relatively, so a product of rounded operands has a normalised squared error of a few
// times (2^-9)^2 ~ 4e-6; 1e-4 leaves room for sums of such terms. float16 keeps 11 bits
// (2^-11 per rounding, ~2.4e-7 squared), hence 1e-5.
constexpr double kBFloat16Tolerance = 1e-4;
constexpr double kFloat16Tolerance = 1e-5;

// a [m, k] @ b [k, n] in float64 on the host.
std::vector<double> matmul_reference(const std::vector<double>& a, const std::vector<double>& b,
                                     int64_t m, int64_t k, int64_t n) {
  std::vector<double> out(static_cast<size_t>(m * n), 0.0);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t p = 0; p < k; ++p)
      for (int64_t j = 0; j < n; ++j) out[i * n + j] += a[i * k + p] * b[p * n + j];
  return out;
}

std::vector<double> transposed(const std::vector<double>& x, int64_t rows, int64_t cols) {
  std::vector<double> out(x.size());
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) out[j * rows + i] = x[i * cols + j];
  return out;
}

TEST(Autocast, MatmulAndLinearRunInTheGuardDtype) {
  Tensor a = random_tensor({13, 37}, kFloat32, 1), b = random_tensor({37, 11}, kFloat32, 2);
  std::vector<double> want = matmul_reference(values_of(a), values_of(b), 13, 37, 11);
  for (auto [dtype, tolerance] :
       {std::pair{kBFloat16, kBFloat16Tolerance}, std::pair{kFloat16, kFloat16Tolerance}}) {
    AutocastGuard autocast(kCPU, dtype);
    Tensor out = matmul(a, b);
    EXPECT_EQ(out.dtype(), dtype);
    EXPECT_NMSE_BELOW(out, want, tolerance);
    Tensor weight = b.t().contiguous(), bias = random_tensor({11}, kFloat32, 3);
    Tensor lin = F::linear(a, weight, bias);
    EXPECT_EQ(lin.dtype(), dtype);
    std::vector<double> want_lin = want, bias_values = values_of(bias);
    for (size_t i = 0; i < want_lin.size(); ++i) want_lin[i] += bias_values[i % 11];
    EXPECT_NMSE_BELOW(lin, want_lin, tolerance);
  }
  EXPECT_EQ(matmul(a, b).dtype(), kFloat32);
}

TEST(Autocast, Float32ListTakesSixteenBitInputsAsFloat32) {
  Tensor x = random_tensor({7, 9}, kBFloat16, 4);
  Tensor positive = abs(x) + 0.5;
  Tensor target = from_vector(std::vector<int64_t>{0, 3, 8, 1, 2, 5, 4}, {7});
  AutocastGuard autocast(kCPU, kBFloat16);
  std::vector<std::pair<const char*, Tensor>> results = {
      {"softmax", softmax(x, -1)},
      {"log_softmax", log_softmax(x, 1)},
      {"logsumexp", logsumexp(x, {1})},
      {"sum", x.sum()},
      {"mean", x.mean({0})},
      {"prod", prod(x, {1})},
      {"var", var(x, {1})},
      {"std", ember::std(x, {1})},
      {"cumsum", cumsum(x, 1)},
      {"exp", exp(x)},
      {"log", log(positive)},
      {"log1p", log1p(positive)},
      {"expm1", expm1(x)},
      {"rsqrt", rsqrt(positive)},
      {"reciprocal", reciprocal(x)},
      {"pow", pow(x, 2.0)},
      {"pow tensor", pow(positive, x)},
      {"pow scalar base", pow(2.0, x)},
      {"softplus", softplus(x)},
      {"layer_norm", F::layer_norm(x, {9}, ones({9}, kBFloat16), zeros({9}, kBFloat16), 1e-5)},
      {"cross_entropy", F::cross_entropy(x, target)},
      {"nll_loss", F::nll_loss(log_softmax(x, 1), target)},
      {"mse_loss", F::mse_loss(x, x * 0.5)},
      {"l1_loss", F::l1_loss(x, x * 0.5)},
      {"binary_cross_entropy_with_logits", F::binary_cross_entropy_with_logits(x, positive * 0.1)},
  };
  for (const auto& [name, result] : results) EXPECT_EQ(result.dtype(), kFloat32) << name;
  // The float32 result is computed from the same bf16 values: softmax against float64.
  std::vector<double> xs = values_of(x), want(xs.size());
  for (int64_t r = 0; r < 7; ++r) {
    double total = 0;
    for (int64_t c = 0; c < 9; ++c) total += std::exp(xs[r * 9 + c]);
    for (int64_t c = 0; c < 9; ++c) want[r * 9 + c] = std::exp(xs[r * 9 + c]) / total;
  }
  EXPECT_NMSE_BELOW(results[0].second, want, 1e-12);  // float32 arithmetic on exact inputs
}

TEST(Autocast, OtherOpsKeepTheirInputsDtype) {
  Tensor x = random_tensor({5, 6}, kBFloat16, 5);
  Tensor wide = random_tensor({5, 6}, kFloat32, 6);
  Tensor doubles = random_tensor({6, 4}, kFloat64, 7);
  AutocastGuard autocast(kCPU, kBFloat16);
  EXPECT_EQ(relu(x).dtype(), kBFloat16);
  EXPECT_EQ((wide + wide).dtype(), kFloat32);
  EXPECT_EQ(softmax(wide, -1).dtype(), kFloat32);
  EXPECT_EQ(matmul(doubles.t(), doubles).dtype(), kFloat64);  // float64 is never cast
  EXPECT_EQ(matmul(x, x.t()).dtype(), kBFloat16);
}

TEST(Autocast, OutsideAGuardNothingChanges) {
  Tensor x = random_tensor({4, 4}, kBFloat16, 8);
  EXPECT_FALSE(is_autocast_enabled(DeviceType::CPU));
  EXPECT_EQ(softmax(x, -1).dtype(), kBFloat16);
  EXPECT_EQ(x.sum().dtype(), kBFloat16);
  EXPECT_EQ(matmul(x.to(kFloat32), x.to(kFloat32)).dtype(), kFloat32);
}

TEST(Autocast, GuardsNestAndRestore) {
  Tensor a = random_tensor({3, 5}, kFloat32, 9), b = random_tensor({5, 2}, kFloat32, 10);
  {
    AutocastGuard outer(kCPU, kBFloat16);
    EXPECT_EQ(matmul(a, b).dtype(), kBFloat16);
    {
      AutocastGuard inner(kCPU, kFloat16);
      EXPECT_EQ(get_autocast_dtype(DeviceType::CPU), kFloat16);
      EXPECT_EQ(matmul(a, b).dtype(), kFloat16);
      {
        AutocastGuard off(kCPU, kBFloat16, /*enabled=*/false);
        EXPECT_FALSE(is_autocast_enabled(DeviceType::CPU));
        EXPECT_EQ(matmul(a, b).dtype(), kFloat32);
      }
      EXPECT_EQ(matmul(a, b).dtype(), kFloat16);
    }
    EXPECT_EQ(get_autocast_dtype(DeviceType::CPU), kBFloat16);
    EXPECT_EQ(matmul(a, b).dtype(), kBFloat16);
  }
  EXPECT_FALSE(is_autocast_enabled(DeviceType::CPU));
  EXPECT_EQ(matmul(a, b).dtype(), kFloat32);
}

TEST(Autocast, AGuardForAnotherDeviceTypeLeavesTheCpuAlone) {
  Tensor a = random_tensor({3, 5}, kFloat32, 11), b = random_tensor({5, 2}, kFloat32, 12);
  AutocastGuard autocast(Device(DeviceType::Vulkan, 0), kFloat16);
  EXPECT_TRUE(is_autocast_enabled(DeviceType::Vulkan));
  EXPECT_FALSE(is_autocast_enabled(DeviceType::CPU));
  EXPECT_EQ(matmul(a, b).dtype(), kFloat32);
  EXPECT_EQ(softmax(a.to(kFloat16), -1).dtype(), kFloat16);
}

TEST(Autocast, StateIsPerThread) {
  Tensor a = random_tensor({3, 5}, kFloat32, 13), b = random_tensor({5, 2}, kFloat32, 14);
  AutocastGuard autocast(kCPU, kBFloat16);
  DType other_thread = kBool;
  bool other_enabled = true;
  std::thread worker([&] {
    other_enabled = is_autocast_enabled(DeviceType::CPU);
    other_thread = matmul(a, b).dtype();
  });
  worker.join();
  EXPECT_FALSE(other_enabled);
  EXPECT_EQ(other_thread, kFloat32);
  EXPECT_EQ(matmul(a, b).dtype(), kBFloat16);
}

TEST(Autocast, RefusesDtypesOtherThanSixteenBitFloats) {
  for (DType dtype : {kFloat32, kFloat64, kInt64, kBool}) {
    expect_error([&] { AutocastGuard autocast(kCPU, dtype); }, "AutocastGuard",
                 std::string("got ") + dtype_name(dtype));
  }
  EXPECT_FALSE(is_autocast_enabled(DeviceType::CPU));
}

// d/dw and d/dx of sum(r * (x @ w)) are x^T r and r w^T: computed through bf16 matmuls,
// reaching the float32 leaves in float32.
TEST(Autocast, GradientsReachFloat32LeavesInFloat32) {
  const int64_t m = 9, k = 21, n = 7;
  Tensor x = random_tensor({m, k}, kFloat32, 15).requires_grad_();
  Tensor w = random_tensor({k, n}, kFloat32, 16).requires_grad_();
  Tensor r = random_tensor({m, n}, kFloat32, 17);
  Tensor loss;
  {
    AutocastGuard autocast(kCPU, kBFloat16);
    Tensor y = matmul(x, w);
    ASSERT_EQ(y.dtype(), kBFloat16);
    loss = (y * r).sum();
  }
  ASSERT_EQ(loss.dtype(), kFloat32);
  loss.backward();
  ASSERT_TRUE(w.grad().defined() && x.grad().defined());
  EXPECT_EQ(w.grad().dtype(), kFloat32);
  EXPECT_EQ(x.grad().dtype(), kFloat32);
  std::vector<double> xs = values_of(x), ws = values_of(w), rs = values_of(r);
  EXPECT_NMSE_BELOW(w.grad(), matmul_reference(transposed(xs, m, k), rs, k, m, n),
                    kBFloat16Tolerance);
  EXPECT_NMSE_BELOW(x.grad(), matmul_reference(rs, transposed(ws, k, n), m, n, k),
                    kBFloat16Tolerance);
}

TEST(Autocast, AParameterIsCastOnceWhileTheGuardLives) {
  Tensor w = random_tensor({6, 4}, kFloat32, 18).requires_grad_();
  Tensor plain = random_tensor({6, 4}, kFloat32, 19);
  Tensor first;
  {
    AutocastGuard autocast(kCPU, kBFloat16);
    first = autocast::lower(w);
    EXPECT_EQ(first.dtype(), kBFloat16);
    EXPECT_EQ(autocast::lower(w).impl(), first.impl());
    {
      AutocastGuard inner(kCPU, kBFloat16);
      EXPECT_EQ(autocast::lower(w).impl(), first.impl());
    }
    EXPECT_NE(autocast::lower(plain).impl(), autocast::lower(plain).impl());  // not a parameter
    NoGradGuard no_grad;
    EXPECT_NE(autocast::lower(w).impl(), first.impl());  // a cast without its graph
  }
  AutocastGuard again(kCPU, kBFloat16);
  EXPECT_NE(autocast::lower(w).impl(), first.impl());
}

// A weight used twice gets both uses' gradients through its one cached cast.
TEST(Autocast, ACachedCastCarriesEveryUsesGradient) {
  Tensor w = random_tensor({5, 3}, kFloat32, 20).requires_grad_();
  Tensor x1 = random_tensor({4, 5}, kFloat32, 21), x2 = random_tensor({2, 5}, kFloat32, 22);
  Tensor loss;
  {
    AutocastGuard autocast(kCPU, kFloat16);
    loss = matmul(x1, w).sum() + matmul(x2, w).sum();
  }
  loss.backward();
  std::vector<double> a = values_of(x1), b = values_of(x2), want(15, 0.0);
  for (int64_t p = 0; p < 5; ++p) {
    double column = 0;
    for (int64_t i = 0; i < 4; ++i) column += a[i * 5 + p];
    for (int64_t i = 0; i < 2; ++i) column += b[i * 5 + p];
    for (int64_t j = 0; j < 3; ++j) want[p * 3 + j] = column;
  }
  EXPECT_NMSE_BELOW(w.grad(), want, kFloat16Tolerance);
}

// ---- GradScaler ----

// One step of a scaled loss sum(c * p) under a float16 guard, so that grad p = c * scale.
void backward_scaled(GradScaler& scaler, const Tensor& p, const Tensor& c) {
  Tensor loss;
  {
    AutocastGuard autocast(kCPU, kFloat16);
    loss = (p * c).sum();
  }
  scaler.scale(loss).backward();
}

void poison_gradient(Tensor& p, double value) {
  std::vector<float> g = p.grad().to_vector<float>();
  g[1] = static_cast<float>(value);
  p.set_grad(from_vector(g, p.shape()));
}

// Hand-computed: init 8, growth_interval 2, growth 2, backoff 0.5, SGD with lr 1.
TEST(GradScaler, GrowsBacksOffAndSkipsStepsThatOverflow) {
  Tensor p = random_tensor({3}, kFloat32, 23).requires_grad_();
  Tensor c = random_tensor({3}, kFloat32, 24);
  std::vector<double> cs = values_of(c), expected = values_of(p);
  optim::SGD opt({p}, {.lr = 1.0});
  GradScaler scaler(
      {.init_scale = 8.0, .growth_factor = 2.0, .backoff_factor = 0.5, .growth_interval = 2});
  struct Step {
    double poison;  // 0: a clean step
    double scale_after;
    int64_t tracker_after;
  };
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<Step> steps = {{0, 8, 1},    {0, 16, 0}, {inf, 8, 0}, {NAN, 4, 0},
                                   {-inf, 2, 0}, {0, 2, 1},  {0, 4, 0}};
  for (size_t s = 0; s < steps.size(); ++s) {
    double scale_before = scaler.get_scale();
    opt.zero_grad();
    backward_scaled(scaler, p, c);
    EXPECT_NMSE_BELOW(
        p.grad(),
        (std::vector<double>{cs[0] * scale_before, cs[1] * scale_before, cs[2] * scale_before}),
        1e-12);
    if (steps[s].poison != 0) poison_gradient(p, steps[s].poison);
    scaler.step(opt);
    scaler.update();
    if (steps[s].poison == 0) {
      for (size_t i = 0; i < 3; ++i) expected[i] -= cs[i];  // the unscaled gradient is c
    }
    SCOPED_TRACE("step " + std::to_string(s));
    EXPECT_NMSE_BELOW(p, expected, 1e-12);
    EXPECT_EQ(scaler.get_scale(), steps[s].scale_after) << "step " << s;
    EXPECT_EQ(scaler.growth_tracker(), steps[s].tracker_after) << "step " << s;
  }
}

TEST(GradScaler, UnscaleDividesTheGradientsOnceBeforeStep) {
  Tensor p = random_tensor({4}, kFloat32, 25).requires_grad_();
  Tensor c = random_tensor({4}, kFloat32, 26);
  optim::SGD opt({p}, {.lr = 0.5});
  GradScaler scaler({.init_scale = 1024.0});
  std::vector<double> start = values_of(p), cs = values_of(c);
  backward_scaled(scaler, p, c);
  scaler.unscale_(opt);
  EXPECT_NMSE_BELOW(p.grad(), cs, 1e-12);
  scaler.step(opt);  // does not unscale again
  scaler.update();
  std::vector<double> want(4);
  for (size_t i = 0; i < 4; ++i) want[i] = start[i] - 0.5 * cs[i];
  EXPECT_NMSE_BELOW(p, want, 1e-12);
}

TEST(GradScaler, ScaleMultipliesTheLoss) {
  GradScaler scaler({.init_scale = 65536.0});
  Tensor loss = full({}, 0.75, kFloat32);
  EXPECT_EQ(scaler.scale(loss).item<double>(), 0.75 * 65536.0);
  EXPECT_EQ(scaler.get_scale(), 65536.0);
}

TEST(GradScaler, DisabledPassesThrough) {
  Tensor p = random_tensor({3}, kFloat32, 27).requires_grad_();
  Tensor c = random_tensor({3}, kFloat32, 28);
  optim::SGD opt({p}, {.lr = 1.0});
  GradScaler scaler({.enabled = false});
  std::vector<double> want = values_of(p), cs = values_of(c);
  {
    AutocastGuard autocast(kCPU, kBFloat16);  // allowed: a disabled scaler does nothing
    Tensor loss = (p * c).sum();
    EXPECT_EQ(scaler.scale(loss).impl(), loss.impl());
    scaler.scale(loss).backward();
  }
  scaler.step(opt);
  scaler.update();
  for (size_t i = 0; i < 3; ++i) want[i] -= cs[i];
  EXPECT_NMSE_BELOW(p, want, 1e-12);
  EXPECT_EQ(scaler.get_scale(), 1.0);
  EXPECT_TRUE(scaler.state_dict().empty());
}

TEST(GradScaler, StateDictRoundTrips) {
  Tensor p = random_tensor({3}, kFloat32, 29).requires_grad_();
  Tensor c = random_tensor({3}, kFloat32, 30);
  optim::SGD opt({p});
  GradScaler scaler({.init_scale = 8.0, .growth_interval = 3});
  for (int s = 0; s < 4; ++s) {
    opt.zero_grad();
    backward_scaled(scaler, p, c);
    scaler.step(opt);
    scaler.update();
  }
  ASSERT_EQ(scaler.get_scale(), 16.0);
  ASSERT_EQ(scaler.growth_tracker(), 1);
  GradScaler restored({.growth_interval = 3});
  restored.load_state_dict(scaler.state_dict());
  EXPECT_EQ(restored.get_scale(), 16.0);
  EXPECT_EQ(restored.growth_tracker(), 1);
}

TEST(GradScaler, LoadStateDictRefusesBadStateAndKeepsItsOwn) {
  GradScaler scaler({.init_scale = 4.0, .growth_interval = 5});
  auto with = [](double scale, int64_t tracker) {
    return TensorDict{{"scale", full({}, scale, kFloat64)},
                      {"growth_tracker", full({}, tracker, kInt64)}};
  };
  const std::string op = "GradScaler.load_state_dict";
  expect_error(
      [&] {
        scaler.load_state_dict({{"scale", full({}, 2.0, kFloat64)}});
      },
      op, "exactly \"scale\" and \"growth_tracker\"");
  expect_error(
      [&] {
        scaler.load_state_dict(
            {{"scale", full({}, 2.0, kFloat64)}, {"tracker", full({}, 1, kInt64)}});
      },
      op, "missing \"growth_tracker\"");
  expect_error(
      [&] {
        scaler.load_state_dict(
            {{"scale", full({2}, 2.0, kFloat64)}, {"growth_tracker", full({}, 1, kInt64)}});
      },
      op, "of shape [2]");
  expect_error(
      [&] {
        scaler.load_state_dict(
            {{"scale", full({}, 2.0, kFloat32)}, {"growth_tracker", full({}, 1, kInt64)}});
      },
      op, "got float32");
  expect_error([&] { scaler.load_state_dict(with(-1.0, 0)); }, op, "got -1");
  expect_error([&] { scaler.load_state_dict(with(NAN, 0)); }, op, "finite and positive");
  expect_error([&] { scaler.load_state_dict(with(2.0, 5)); }, op, "[0, 5), got 5");
  expect_error([&] { scaler.load_state_dict(with(2.0, -1)); }, op, "got -1");
  EXPECT_EQ(scaler.get_scale(), 4.0);
  EXPECT_EQ(scaler.growth_tracker(), 0);
  GradScaler disabled({.enabled = false});
  expect_error([&] { disabled.load_state_dict(with(2.0, 0)); }, op, "disabled");
}

TEST(GradScaler, RefusesBadOptions) {
  expect_error([] { GradScaler s({.init_scale = 0}); }, "GradScaler", "init_scale");
  expect_error([] { GradScaler s({.init_scale = INFINITY}); }, "GradScaler", "init_scale");
  expect_error([] { GradScaler s({.growth_factor = 1.0}); }, "GradScaler", "growth_factor");
  expect_error([] { GradScaler s({.backoff_factor = 1.0}); }, "GradScaler", "backoff_factor");
  expect_error([] { GradScaler s({.backoff_factor = 0}); }, "GradScaler", "backoff_factor");
  expect_error([] { GradScaler s({.growth_interval = 0}); }, "GradScaler", "growth_interval");
}

TEST(GradScaler, RefusesLossesThatAreNotOneFloatingValue) {
  GradScaler scaler;
  expect_error([&] { scaler.scale(ones({2}, kFloat32)); }, "GradScaler.scale", "of shape [2]");
  expect_error([&] { scaler.scale(ones({}, kInt64)); }, "GradScaler.scale", "got int64");
  expect_error([&] { scaler.scale(Tensor()); }, "GradScaler.scale", "must be defined");
}

TEST(GradScaler, RefusesCallsOutOfOrder) {
  Tensor p = random_tensor({3}, kFloat32, 31).requires_grad_();
  Tensor c = random_tensor({3}, kFloat32, 32);
  optim::SGD opt({p});
  GradScaler scaler;
  expect_error([&] { scaler.step(opt); }, "GradScaler.step", "scale() has not been called");
  expect_error([&] { scaler.unscale_(opt); }, "GradScaler.unscale_", "scale() has not been called");
  expect_error([&] { scaler.update(); }, "GradScaler.update", "no inf checks were recorded");
  backward_scaled(scaler, p, c);
  scaler.unscale_(opt);
  expect_error([&] { scaler.unscale_(opt); }, "GradScaler.unscale_", "already been called");
  scaler.step(opt);
  expect_error([&] { scaler.step(opt); }, "GradScaler.step", "already been called");
  expect_error([&] { scaler.unscale_(opt); }, "GradScaler.unscale_", "after step()");
  scaler.update();
  expect_error([&] { scaler.step(opt); }, "GradScaler.step", "scale() has not been called");
  opt.zero_grad();
  backward_scaled(scaler, p, c);
  scaler.step(opt);
  expect_error([&] { scaler.unscale_(opt); }, "GradScaler.unscale_", "after step()");
}

TEST(GradScaler, RefusesFloat16Gradients) {
  Tensor p = random_tensor({3}, kFloat16, 33).requires_grad_();
  optim::SGD opt({p});
  GradScaler scaler;
  backward_scaled(scaler, p, random_tensor({3}, kFloat16, 34));
  expect_error([&] { scaler.step(opt); }, "GradScaler.unscale_", "float16 gradients");
}

TEST(GradScaler, RefusesALossAfterABFloat16Guard) {
  Tensor p = random_tensor({3}, kFloat32, 35).requires_grad_();
  GradScaler scaler;
  Tensor loss;
  {
    AutocastGuard autocast(kCPU, kBFloat16);
    loss = (p * 2.0).sum();
  }
  expect_error([&] { scaler.scale(loss); }, "GradScaler.scale",
               "autocast last ran in bfloat16 for cpu");
  { AutocastGuard autocast(kCPU, kFloat16); }
  EXPECT_NO_THROW(scaler.scale(loss));
}

}  // namespace
}  // namespace ember::test
