// Every primitive, through the public ops that reach it, for every dtype, on vulkan:0 with
// EMBER_FALLBACK=error (set by ctest): what still goes to the host raises, and the census
// lists it. The goal is float64 alone, which no shader computes (DESIGN §1.6). Each result
// that stays on the device is held against the CPU's, gradients included.
#include <functional>
#include <set>
#include <string>

#include "vulkan_test_util.h"

namespace ember::test {
namespace {

namespace F = nn::functional;

const std::vector<DType> kAllDtypes = {kFloat32, kFloat16, kBFloat16, kFloat64,
                                       kInt32,   kInt64,   kUInt8,    kBool};

// Random non-zero data of dtype on device; the same on every device.
Tensor input(const Shape& shape, DType dtype, const Device& device, uint32_t seed) {
  Tensor values = random_tensor(shape, kFloat64, seed);
  if (!is_floating_point(dtype)) values = floor(abs(values) * 9.0) + 1.0;
  if (dtype == kBool) values = values > 4.0;
  return values.to(dtype).to(device);
}

Tensor classes(int64_t n, int64_t count, const Device& device) {
  std::vector<int64_t> values(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) values[static_cast<size_t>(i)] = (i * 7 + 3) % count;
  return from_vector(values).to(device);
}

// The op's outputs and, where the dtype is floating, the gradients of a weighted sum of the
// first output with respect to the inputs marked by `leaf`.
using Outputs = std::vector<Tensor>;
using Case = std::function<Outputs(const Device&, DType)>;

Tensor leaf(const Tensor& x) { return x.is_floating_point() ? x.detach().requires_grad_() : x; }

Outputs with_gradients(Tensor out, const std::vector<Tensor>& leaves) {
  Outputs result{out};
  if (!out.requires_grad()) return result;
  Tensor weights = input(out.shape(), out.dtype(), out.device(), 99);
  (out * weights).sum().backward();
  for (const Tensor& l : leaves) {
    if (l.requires_grad() && l.grad().defined()) result.push_back(l.grad());
  }
  return result;
}

Case unary_case(Tensor (*op)(const Tensor&), bool positive = false) {
  return [=](const Device& d, DType t) {
    Tensor x = input({5, 37}, t, d, 1);
    if (positive && x.is_floating_point()) x = abs(x) + 0.5;
    x = leaf(x);
    return with_gradients(op(x), {x});
  };
}

Case binary_case(Tensor (*op)(const Tensor&, const Tensor&)) {
  return [=](const Device& d, DType t) {
    Tensor a = leaf(input({5, 37}, t, d, 2)), b = leaf(input({1, 37}, t, d, 3));
    return with_gradients(op(a, b), {a, b});
  };
}

std::vector<std::pair<std::string, Case>> cases() {
  using T = const Tensor&;
  return {
      {"neg", unary_case([](T x) { return -x; })},
      {"abs", unary_case([](T x) { return abs(x); })},
      {"exp", unary_case([](T x) { return exp(x); })},
      {"log", unary_case([](T x) { return log(x); }, true)},
      {"sqrt", unary_case([](T x) { return sqrt(x); }, true)},
      {"tanh", unary_case([](T x) { return tanh(x); })},
      {"sigmoid", unary_case([](T x) { return sigmoid(x); })},
      {"relu", unary_case([](T x) { return relu(x); })},
      {"gelu", unary_case([](T x) { return gelu(x); })},
      {"floor", unary_case([](T x) { return floor(x); })},
      {"isnan", unary_case([](T x) { return isnan(x); })},
      {"logical_not", unary_case([](T x) { return logical_not(x); })},
      {"add", binary_case([](T a, T b) { return a + b; })},
      {"sub", binary_case([](T a, T b) { return a - b; })},
      {"mul", binary_case([](T a, T b) { return a * b; })},
      {"div", binary_case([](T a, T b) { return a / b; })},
      {"pow", binary_case([](T a, T b) { return pow(abs(a) + 1, b); })},
      {"maximum", binary_case([](T a, T b) { return maximum(a, b); })},
      {"remainder", binary_case([](T a, T b) { return remainder(a, b); })},
      {"lt", binary_case([](T a, T b) { return lt(a, b); })},
      {"logical_and", binary_case([](T a, T b) { return logical_and(a, b); })},
      {"add_scalar", unary_case([](T x) { return x * 3 + 2; })},
      {"where", binary_case([](T a, T b) { return where(a > b, a, b); })},
      {"clamp", unary_case([](T x) { return clamp(x, -0.5, 3); })},
      {"masked_fill", unary_case([](T x) { return masked_fill(x, x > 1, 2); })},
      {"sum", unary_case([](T x) { return x.sum({1}); })},
      {"mean", unary_case([](T x) { return x.mean({0}); })},
      {"prod", unary_case([](T x) { return x.prod({0}); })},
      {"amax", unary_case([](T x) { return amax(x, {1}); })},
      {"argmax", unary_case([](T x) { return argmax(x, 1); })},
      {"all", unary_case([](T x) { return all(x, {1}); })},
      {"cumsum", unary_case([](T x) { return cumsum(x, 1); })},
      {"softmax", unary_case([](T x) { return softmax(x, 1); })},
      {"log_softmax", unary_case([](T x) { return log_softmax(x, 0); })},
      {"logsumexp", unary_case([](T x) { return logsumexp(x, {1}); })},
      {"var", unary_case([](T x) { return x.var({1}); })},
      {"matmul", binary_case([](T a, T b) { return matmul(a, b.transpose(0, 1)); })},
      {"index_select",
       unary_case([](T x) { return index_select(x, 1, classes(9, 37, x.device())); })},
      {"gather", unary_case([](T x) {
         return gather(x, 1, classes(5, 37, x.device()).reshape({5, 1}));
       })},
      {"embedding", unary_case([](T x) { return embedding(x, classes(11, 5, x.device())); })},
      {"cat", binary_case([](T a, T b) {
         return cat({a, b}, 0);
       })},
      {"one_hot", [](const Device& d, DType) { return Outputs{one_hot(classes(9, 4, d), 4)}; }},
      {"copy", unary_case([](T x) { return x.to(kFloat32) + x.to(kInt64).to(x.dtype()); })},
      {"randn",
       [](const Device& d, DType t) {
         return Outputs{randn({7, 9}, t, d)};
       }},
      {"rand",
       [](const Device& d, DType t) {
         return Outputs{rand({7, 9}, t, d)};
       }},
      {"randint",
       [](const Device& d, DType t) {
         return Outputs{randint(0, 2, {7, 9}, t, d)};
       }},
      {"layer_norm", unary_case([](T x) { return F::layer_norm(x, {37}); })},
      {"cross_entropy", unary_case([](T x) {
         return F::cross_entropy(x, classes(5, 37, x.device()), {.reduction = F::Reduction::None});
       })},
      {"nll_loss",
       unary_case([](T x) { return F::nll_loss(log_softmax(x, 1), classes(5, 37, x.device())); })},
      {"adam_step",
       [](const Device& d, DType t) {
         Tensor p = leaf(input({5, 37}, t, d, 4));
         optim::AdamW optimizer({p}, {.lr = 0.1, .weight_decay = 0.01});
         for (int step = 0; step < 2; ++step) {
           optimizer.zero_grad();
           (p * p).sum().backward();
           optimizer.step();
         }
         return Outputs{p.detach()};
       }},
  };
}

// Normalised squared error a dtype's rounding allows between two devices that compute in
// float32 and may sum in other orders.
double tolerance(DType dtype) {
  switch (dtype) {
    case kFloat16:
      return 1e-5;
    case kBFloat16:
      return 1e-3;
    case kFloat32:
      return 1e-9;
    default:
      return 1e-20;
  }
}

bool is_fallback_refusal(const Error& e) {
  return std::string(e.what()).find("EMBER_FALLBACK=error") != std::string::npos;
}

TEST(VulkanFallbacks, OnlyFloat64ReachesTheHost) {
  REQUIRE_GPU();
  ASSERT_STREQ(std::getenv("EMBER_FALLBACK"), "error");
  std::set<std::string> host;
  for (const auto& [name, run] : cases()) {
    for (DType dtype : kAllDtypes) {
      Outputs want;
      try {
        manual_seed(5);  // random ops draw the same numbers on both devices
        want = run(kCPU, dtype);
      } catch (const Error&) {
        continue;  // not an op for this dtype
      }
      std::string label = name + "(" + dtype_name(dtype) + ")";
      try {
        manual_seed(5);
        Outputs got = run(kGpu, dtype);
        ASSERT_EQ(got.size(), want.size()) << label;
        for (size_t i = 0; i < got.size(); ++i) {
          EXPECT_EQ(got[i].dtype(), want[i].dtype()) << label << " output " << i;
          double error = normalized_error(values_of(got[i]), values_of(want[i]));
          EXPECT_LE(error, tolerance(want[i].dtype())) << label << " output " << i;
        }
      } catch (const Error& e) {
        if (!is_fallback_refusal(e)) ADD_FAILURE() << label << ": " << e.what();
        host.insert(label);
      }
    }
  }
  std::string listed;
  for (const std::string& label : host) listed += " " + label;
  std::printf("reaches the host:%s\n", listed.empty() ? " nothing" : listed.c_str());
  // Integer % raises on a zero divisor, which only the CPU kernel reports: it is listed so
  // that any other path to the host fails.
  const std::set<std::string> known = {"remainder(int32)", "remainder(int64)", "remainder(uint8)"};
  for (const std::string& label : host) {
    bool float64 = label.find("(float64)") != std::string::npos;
    EXPECT_TRUE(float64 || known.count(label)) << label << " reaches the host";
  }
  for (const std::string& label : known) {
    EXPECT_TRUE(host.count(label)) << label << " runs on the device now: take it off the list";
  }
}

}  // namespace
}  // namespace ember::test
