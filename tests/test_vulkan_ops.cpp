// The backend-ops harness: every primitive on vulkan:0 against a float64 CPU reference,
// with random non-zero inputs, poisoned outputs (EMBER_POISON_MEMORY=1), non-contiguous
// and broadcast inputs and sizes that are not multiples of the workgroup size.
#include <bit>
#include <memory>
#include <random>
#include <set>

#include "backend/vulkan/vulkan_backend.h"
#include "core/backend.h"
#include "vulkan_test_util.h"

namespace ember::test {
namespace {

using Inputs = std::vector<Tensor>;
using Op = std::function<Tensor(const Inputs&)>;

// Runs op on float64 CPU inputs and on float32 (or `dtype`) copies on the GPU, contiguous
// and as strided views, and compares.
void expect_matches_cpu(const Op& op, const std::vector<Shape>& shapes, double tolerance,
                        DType dtype = kFloat32, uint32_t seed = 7) {
  Inputs cpu, gpu, gpu_strided;
  for (size_t i = 0; i < shapes.size(); ++i) {
    Tensor x = random_tensor(shapes[i], kFloat64, seed + static_cast<uint32_t>(i));
    cpu.push_back(x);
    gpu.push_back(x.to(dtype).to(kGpu));
    gpu_strided.push_back(non_contiguous(gpu.back()));
  }
  std::vector<double> want = values_of(op(cpu));
  for (const Inputs* inputs : {&gpu, &gpu_strided}) {
    SCOPED_TRACE(inputs == &gpu ? "contiguous inputs" : "strided inputs");
    Tensor got = op(*inputs);
    ASSERT_EQ(got.device(), kGpu);
    EXPECT_NMSE_BELOW(got, want, tolerance);
  }
}

TEST(VulkanOps, CopiesBetweenDevicesAndDtypes) {
  REQUIRE_GPU();
  Tensor x = random_tensor({37, 19}, kFloat32) * 100;
  for (DType dtype : {kFloat32, kFloat16, kBFloat16, kInt32, kInt64, kUInt8, kBool}) {
    Tensor want = x.to(dtype);
    Tensor got = x.to(kGpu).to(dtype);
    EXPECT_EQ(got.dtype(), dtype);
    EXPECT_EQ(values_of(got.to(kCPU)), values_of(want)) << dtype_name(dtype);
    // And back from each dtype to float32 on the GPU.
    EXPECT_EQ(values_of(want.to(kGpu).to(kFloat32)), values_of(want.to(kFloat32)))
        << dtype_name(dtype);
  }
}

TEST(VulkanOps, HalfPrecisionRoundsAsTheCpu) {
  REQUIRE_GPU();
  // Float bit patterns across half's range, subnormals and overflow included, and the
  // exact halfway points between neighbouring halves.
  std::vector<float> values;
  std::mt19937 gen(3);
  std::uniform_int_distribution<uint32_t> bits(0x33000000u, 0x47900000u);
  for (int i = 0; i < 20000; ++i) {
    float v = std::bit_cast<float>(bits(gen));
    values.push_back(i % 2 ? v : -v);
  }
  for (uint32_t h = 0x0001u; h < 0x7bffu; h += 97) {  // halfway above half h
    float low = static_cast<float>(std::bit_cast<Half>(static_cast<uint16_t>(h)));
    float high = static_cast<float>(std::bit_cast<Half>(static_cast<uint16_t>(h + 1)));
    values.push_back((low + high) / 2);
  }
  values.push_back(NAN);
  values.push_back(-INFINITY);
  Tensor x = from_vector(values);
  for (DType dtype : {kFloat16, kBFloat16}) {
    Tensor want = x.to(dtype).to(kFloat32);
    Tensor got = x.to(kGpu).to(dtype).to(kCPU).to(kFloat32);
    std::vector<float> g = got.to_vector<float>(), w = want.to_vector<float>();
    size_t mismatches = 0;
    for (size_t i = 0; i < g.size(); ++i) {
      if (std::bit_cast<uint32_t>(g[i]) != std::bit_cast<uint32_t>(w[i])) ++mismatches;
    }
    EXPECT_EQ(mismatches, 0u) << dtype_name(dtype);
  }
}

TEST(VulkanOps, CopyIntoViewsKeepsTheRest) {
  REQUIRE_GPU();
  Tensor base_cpu = random_tensor({8, 10, 6});
  Tensor base = base_cpu.to(kGpu);
  Tensor src = random_tensor({10, 8}, kFloat32, 3);
  base.select(2, 1).t().copy_(src.to(kGpu));
  base_cpu.select(2, 1).t().copy_(src);
  EXPECT_EQ(values_of(base), values_of(base_cpu));
}

TEST(VulkanOps, FillsEveryDtypeAndViews) {
  REQUIRE_GPU();
  for (DType dtype : {kFloat32, kFloat16, kBFloat16, kInt32, kInt64, kUInt8, kBool}) {
    Tensor t = full({3, 333}, 7, dtype, kGpu);
    EXPECT_EQ(values_of(t), std::vector<double>(999, dtype == kBool ? 1 : 7)) << dtype_name(dtype);
  }
  Tensor big = full({5, 8}, int64_t{-(int64_t{1} << 40)}, kInt64, kGpu);
  EXPECT_EQ(big.to_vector<int64_t>(), std::vector<int64_t>(40, -(int64_t{1} << 40)));
  Tensor m = zeros({6, 7}, kFloat32, kGpu);
  m.slice(1, 1, 7, 3).fill_(2.5);
  Tensor want = zeros({6, 7});
  want.slice(1, 1, 7, 3).fill_(2.5);
  EXPECT_EQ(values_of(m), values_of(want));
}

TEST(VulkanOps, LaunchesOfMoreThan65535Workgroups) {
  REQUIRE_GPU();
  int64_t n = int64_t{65535} * 256 + 1000;  // needs a second row of workgroups
  Tensor t = full({n}, 3.0f, kFloat32, kGpu);
  Tensor tail = t.slice(0, n - 5, n).to(kCPU);
  EXPECT_EQ(values_of(tail), std::vector<double>(5, 3.0));
  EXPECT_EQ(t.sum().item<double>(), 3.0 * static_cast<double>(n));
}

struct UnaryCase {
  const char* name;
  Tensor (*f)(const Tensor&);
  double tolerance;
};

TEST(VulkanOps, UnaryOpsMatchFloat64) {
  REQUIRE_GPU();
  const UnaryCase cases[] = {
      {"neg", ember::neg, 1e-12},
      {"abs", ember::abs, 1e-12},
      {"exp", ember::exp, 1e-11},
      {"log", [](const Tensor& x) { return log(abs(x)); }, 1e-11},
      {"log1p", [](const Tensor& x) { return log1p(abs(x)); }, 1e-11},
      {"expm1", ember::expm1, 1e-11},
      {"sqrt", [](const Tensor& x) { return sqrt(abs(x)); }, 1e-12},
      {"rsqrt", [](const Tensor& x) { return rsqrt(abs(x)); }, 1e-11},
      {"sin", ember::sin, 1e-9},
      {"cos", ember::cos, 1e-9},
      {"tanh", ember::tanh, 1e-11},
      {"sigmoid", ember::sigmoid, 1e-11},
      {"relu", ember::relu, 1e-12},
      {"gelu", [](const Tensor& x) { return gelu(x); }, 1e-11},
      {"gelu_tanh", [](const Tensor& x) { return gelu(x, "tanh"); }, 1e-11},
      {"silu", ember::silu, 1e-11},
      {"softplus", ember::softplus, 1e-11},
      {"erf", ember::erf, 1e-11},
      {"floor", [](const Tensor& x) { return floor(x * 3); }, 1e-12},
      {"ceil", [](const Tensor& x) { return ceil(x * 3); }, 1e-12},
      {"round", [](const Tensor& x) { return round(x * 3); }, 1e-12},
      {"sign", ember::sign, 1e-12},
      {"reciprocal", ember::reciprocal, 1e-12},
  };
  for (const UnaryCase& c : cases) {
    SCOPED_TRACE(c.name);
    expect_matches_cpu([&](const Inputs& x) { return c.f(x[0]); }, {{7, 300}}, c.tolerance);
  }
}

TEST(VulkanOps, PredicatesAndIntegerUnaryOps) {
  REQUIRE_GPU();
  Tensor x = from_vector<float>({1.5f, -0.0f, NAN, INFINITY, -INFINITY, 2}).to(kGpu);
  EXPECT_EQ(values_of(isnan(x)), (std::vector<double>{0, 0, 1, 0, 0, 0}));
  EXPECT_EQ(values_of(isinf(x)), (std::vector<double>{0, 0, 0, 1, 1, 0}));
  EXPECT_EQ(values_of(logical_not(x)), (std::vector<double>{0, 1, 0, 0, 0, 0}));
  Tensor i = from_vector<int64_t>({-3, 0, 5, -(int64_t{1} << 40)}).to(kGpu);
  EXPECT_EQ(abs(i).to_vector<int64_t>(), (std::vector<int64_t>{3, 0, 5, int64_t{1} << 40}));
  EXPECT_EQ(neg(i).to_vector<int64_t>(), (std::vector<int64_t>{3, 0, -5, int64_t{1} << 40}));
  EXPECT_EQ(sign(i).to_vector<int64_t>(), (std::vector<int64_t>{-1, 0, 1, -1}));
  EXPECT_EQ(relu(i.to(kInt32)).to_vector<int32_t>(), (std::vector<int32_t>{0, 0, 5, 0}));
}

TEST(VulkanOps, ClampKeepsNaN) {
  REQUIRE_GPU();
  expect_matches_cpu([](const Inputs& x) { return clamp(x[0], -1.0, 1.5); }, {{33, 17}}, 1e-12);
  Tensor x = from_vector<float>({NAN, -5, 5}).to(kGpu);
  std::vector<double> got = values_of(clamp(x, -1.0, 1.0));
  EXPECT_TRUE(std::isnan(got[0]));
  EXPECT_EQ(got[1], -1);
  EXPECT_EQ(got[2], 1);
}

TEST(VulkanOps, BinaryOpsWithBroadcastMatchFloat64) {
  REQUIRE_GPU();
  using Binary = Tensor (*)(const Tensor&, const Tensor&);
  const std::pair<const char*, Binary> cases[] = {
      {"add", [](const Tensor& a, const Tensor& b) { return a + b; }},
      {"sub", [](const Tensor& a, const Tensor& b) { return a - b; }},
      {"mul", [](const Tensor& a, const Tensor& b) { return a * b; }},
      {"div", [](const Tensor& a, const Tensor& b) { return a / b; }},
      {"pow", [](const Tensor& a, const Tensor& b) { return pow(abs(a), b); }},
      {"maximum", [](const Tensor& a, const Tensor& b) { return maximum(a, b); }},
      {"minimum", [](const Tensor& a, const Tensor& b) { return minimum(a, b); }},
      {"remainder", [](const Tensor& a, const Tensor& b) { return remainder(a * 5, b); }},
  };
  for (const auto& [name, f] : cases) {
    SCOPED_TRACE(name);
    expect_matches_cpu([f](const Inputs& x) { return f(x[0], x[1]); }, {{5, 1, 301}, {4, 1}},
                       1e-11);
    expect_matches_cpu([f](const Inputs& x) { return f(x[0], x[1]); }, {{3, 257}, {3, 257}}, 1e-11);
  }
}

TEST(VulkanOps, FourWideAndScalarPathsAgree) {
  REQUIRE_GPU();
  // Dense float32 with counts and offsets that are multiples of 4 take the vec4 path;
  // an offset of 1 or a count of 4k + 1 takes the scalar one.
  Tensor x = random_tensor({4097}), y = random_tensor({4097}, kFloat32, 2);
  Tensor gx = x.to(kGpu), gy = y.to(kGpu);
  for (int64_t begin : {0, 1}) {
    for (int64_t end : {4096, 4097}) {
      Tensor a = gx.slice(0, begin, end), b = gy.slice(0, begin, end);
      Tensor ca = x.slice(0, begin, end), cb = y.slice(0, begin, end);
      EXPECT_EQ(values_of(a * b - 2.0), values_of(ca * cb - 2.0));
      EXPECT_EQ(values_of(relu(a)), values_of(relu(ca)));
      EXPECT_EQ(values_of(a.clone()), values_of(ca));
      EXPECT_EQ(values_of(zeros_like(a).fill_(1.5)), values_of(zeros_like(ca).fill_(1.5)));
    }
  }
}

TEST(VulkanOps, ScalarOperandsOnEitherSide) {
  REQUIRE_GPU();
  expect_matches_cpu([](const Inputs& x) { return x[0] * 2.5 - 1; }, {{9, 70}}, 1e-12);
  expect_matches_cpu([](const Inputs& x) { return 3.0 / x[0]; }, {{9, 70}}, 1e-12);
  expect_matches_cpu([](const Inputs& x) { return pow(2.0, x[0]); }, {{9, 70}}, 1e-11);
  expect_matches_cpu([](const Inputs& x) { return pow(x[0], 3); }, {{9, 70}}, 1e-11);
  expect_matches_cpu([](const Inputs& x) { return where(gt(x[0], 0.5), x[0], 7.0); }, {{9, 70}},
                     1e-12);
}

TEST(VulkanOps, ComparisonsAndLogicalOpsWriteBool) {
  REQUIRE_GPU();
  Tensor a = random_tensor({6, 50}, kFloat32, 1), b = random_tensor({50}, kFloat32, 2);
  b.slice(0, 0, 10).copy_(a.select(0, 2).slice(0, 0, 10));  // some equal pairs
  Tensor ga = a.to(kGpu), gb = b.to(kGpu);
  using Cmp = Tensor (*)(const Tensor&, const Tensor&);
  for (Cmp f :
       {Cmp(eq), Cmp(ne), Cmp(lt), Cmp(le), Cmp(gt), Cmp(ge), Cmp(logical_and), Cmp(logical_or)}) {
    Tensor got = f(ga, gb);
    EXPECT_EQ(got.dtype(), kBool);
    EXPECT_EQ(values_of(got), values_of(f(a, b)));
  }
  EXPECT_EQ(values_of(lt(ga, 0.25)), values_of(lt(a, 0.25)));
}

TEST(VulkanOps, IntegerArithmeticIsExact) {
  REQUIRE_GPU();
  std::vector<int64_t> av = {int64_t{1} << 40, -7, 123456789012, 5, -3, 0};
  std::vector<int64_t> bv = {3, 2, -1000, 4, -3, 9};
  Tensor a = from_vector(av), b = from_vector(bv);
  Tensor ga = a.to(kGpu), gb = b.to(kGpu);
  EXPECT_EQ((ga + gb).to_vector<int64_t>(), (a + b).to_vector<int64_t>());
  EXPECT_EQ((ga - gb).to_vector<int64_t>(), (a - b).to_vector<int64_t>());
  EXPECT_EQ((ga * gb).to_vector<int64_t>(), (a * b).to_vector<int64_t>());
  EXPECT_EQ(maximum(ga, gb).to_vector<int64_t>(), maximum(a, b).to_vector<int64_t>());
  EXPECT_EQ(pow(ga.slice(0, 1, 6), 3).to_vector<int64_t>(),
            pow(a.slice(0, 1, 6), 3).to_vector<int64_t>());
  EXPECT_EQ((ga * 3 + 1).to_vector<int64_t>(), (a * 3 + 1).to_vector<int64_t>());
  Tensor small = from_vector<int32_t>({2147483647, -5, 100}).to(kGpu);
  EXPECT_EQ((small + 1).to_vector<int32_t>(), (std::vector<int32_t>{-2147483647 - 1, -4, 101}));
  Tensor bytes = from_vector<uint8_t>({250, 3, 7}).to(kGpu);
  EXPECT_EQ((bytes + bytes).to_vector<uint8_t>(), (std::vector<uint8_t>{244, 6, 14}));
}

TEST(VulkanOps, WhereWithBroadcastConditions) {
  REQUIRE_GPU();
  Tensor cond = gt(random_tensor({4, 1, 33}, kFloat32, 5), 0);
  Tensor a = random_tensor({4, 9, 33}, kFloat32, 6), b = random_tensor({9, 1}, kFloat32, 7);
  EXPECT_EQ(values_of(where(cond.to(kGpu), a.to(kGpu), b.to(kGpu))), values_of(where(cond, a, b)));
  Tensor ia = arange(12, kInt64).reshape({3, 4});
  Tensor ib = full({3, 4}, int64_t{1} << 50, kInt64);
  Tensor mask = eq(remainder(arange(12, kInt64), 3), 0).reshape({3, 4});
  EXPECT_EQ(where(mask.to(kGpu), ia.to(kGpu), ib.to(kGpu)).to_vector<int64_t>(),
            where(mask, ia, ib).to_vector<int64_t>());
}

// ---- float16 and bfloat16 elementwise: the native 16-bit variants, and the 32-bit-word
// variant when EMBER_VULKAN_NO_16BIT_STORAGE=1 (the ctest vulkan_ops_without_16bit_storage).
// Both compute in float32 and round once on store, as the CPU does, so ops that are exact
// in float32 give the CPU's bits; the transcendental ones differ from the CPU's float32
// by a few float32 ulps, which may move a 16-bit rounding by one step.

constexpr DType k16BitFloats[] = {kFloat16, kBFloat16};

// The unit roundoff of a 16-bit float: 2^-11 (float16) or 2^-8 (bfloat16). A result
// rounded once from float32 is off by at most this much relatively, so its normalised
// error is below roundoff^2; 1.1 x allows for float32's own error before rounding.
double rounding_nmse(DType dtype) {
  double roundoff = dtype == kFloat16 ? 0x1p-11 : 0x1p-8;
  return 1.1 * roundoff * roundoff;
}

// Bit patterns of a 16-bit tensor read back through float32, which holds each exactly.
std::vector<uint32_t> bits_of(const Tensor& t) {
  std::vector<uint32_t> bits;
  for (float v : t.to(kCPU).to(kFloat32).to_vector<float>())
    bits.push_back(std::bit_cast<uint32_t>(v));
  return bits;
}

// Inputs already rounded to `dtype`, in the layouts the kernels take apart: dense (the
// four-wide path where the count allows), strided, and dense from an odd offset.
std::vector<std::pair<const char*, Tensor>> layouts_of(const Tensor& host_rounded) {
  Tensor gpu = host_rounded.to(kGpu);
  Tensor shifted = zeros({host_rounded.numel() + 1}, host_rounded.dtype(), kGpu);
  shifted.slice(0, 1, host_rounded.numel() + 1).copy_(gpu.reshape({host_rounded.numel()}));
  return {
      {"dense", gpu},
      {"strided", non_contiguous(gpu)},
      {"odd offset", shifted.slice(0, 1, host_rounded.numel() + 1).reshape(host_rounded.shape())}};
}

TEST(VulkanOps, HalfPrecisionExactOpsGiveTheCpusBits) {
  REQUIRE_GPU();
  using Op = std::function<Tensor(const Tensor&, const Tensor&)>;
  const std::pair<const char*, Op> cases[] = {
      {"add", [](const Tensor& a, const Tensor& b) { return a + b; }},
      {"sub", [](const Tensor& a, const Tensor& b) { return a - b; }},
      {"mul", [](const Tensor& a, const Tensor& b) { return a * b; }},
      {"div", [](const Tensor& a, const Tensor& b) { return a / b; }},
      {"maximum", [](const Tensor& a, const Tensor& b) { return maximum(a, b); }},
      {"minimum", [](const Tensor& a, const Tensor& b) { return minimum(a, b); }},
      {"scalar", [](const Tensor& a, const Tensor&) { return a * 2.7 - 1.3; }},
      {"scalar first", [](const Tensor& a, const Tensor&) { return 3.1 / a; }},
      {"neg", [](const Tensor& a, const Tensor&) { return neg(a); }},
      {"abs", [](const Tensor& a, const Tensor&) { return abs(a); }},
      {"sqrt", [](const Tensor& a, const Tensor&) { return sqrt(abs(a)); }},
      {"relu", [](const Tensor& a, const Tensor&) { return relu(a); }},
      {"floor", [](const Tensor& a, const Tensor&) { return floor(a * 3); }},
      {"round", [](const Tensor& a, const Tensor&) { return round(a * 3); }},
      {"sign", [](const Tensor& a, const Tensor&) { return sign(a); }},
      {"reciprocal", [](const Tensor& a, const Tensor&) { return reciprocal(a); }},
      {"clamp", [](const Tensor& a, const Tensor&) { return clamp(a, -0.3, 0.45); }},
      {"copy", [](const Tensor& a, const Tensor&) { return a.clone(); }},
      {"fill", [](const Tensor& a, const Tensor&) { return zeros_like(a).fill_(0.1); }},
      {"where", [](const Tensor& a, const Tensor& b) { return where(gt(a, b), a, b); }},
  };
  for (DType dtype : k16BitFloats) {
    // 4 x 1001: dense launches take the four-wide path, the odd offset the scalar one.
    for (const Shape& shape : {Shape{4, 1001}, Shape{3, 37}}) {
      Tensor a = random_tensor(shape, dtype, 11), b = random_tensor(shape, dtype, 12);
      auto a_layouts = layouts_of(a), b_layouts = layouts_of(b);
      for (const auto& [name, f] : cases) {
        std::vector<uint32_t> want = bits_of(f(a, b));
        for (size_t l = 0; l < a_layouts.size(); ++l) {
          SCOPED_TRACE(std::string(dtype_name(dtype)) + " " + name + " " + a_layouts[l].first);
          Tensor got = f(a_layouts[l].second, b_layouts[l].second);
          ASSERT_EQ(got.device(), kGpu);
          EXPECT_EQ(got.dtype(), dtype);
          EXPECT_EQ(bits_of(got), want);
        }
      }
    }
  }
}

// One elementwise primitive called on a backend: out = f(inputs).
using PrimitiveCall = std::function<void(Backend&, const Inputs&, const Tensor&)>;

// Calls `run` on the CPU backend and on vulkan:0 with the same 16-bit inputs, laid out on
// the GPU as layouts_of() does, into fresh (poisoned) outputs of `out_dtype`. Exact ops
// must give the CPU's bits; the others the float64 result within one 16-bit rounding.
void expect_primitive_matches(const char* name, const PrimitiveCall& run, const Inputs& host,
                              DType out_dtype, bool exact) {
  Shape shape = host[0].shape();
  Tensor want = empty(shape, out_dtype);
  run(backend_for(kCPU), host, want);
  Inputs wide;
  for (const Tensor& t : host) wide.push_back(t.to(kFloat64));
  Tensor reference = empty(shape, kFloat64);
  run(backend_for(kCPU), wide, reference);
  std::vector<std::vector<std::pair<const char*, Tensor>>> layouts;
  for (const Tensor& t : host) layouts.push_back(layouts_of(t));
  for (size_t l = 0; l < layouts[0].size(); ++l) {
    SCOPED_TRACE(std::string(dtype_name(host[0].dtype())) + " " + name + " " + layouts[0][l].first);
    Inputs gpu;
    for (const auto& per_input : layouts) gpu.push_back(per_input[l].second);
    Tensor got = empty(shape, out_dtype, kGpu);
    run(backend_for(kGpu), gpu, got);
    if (exact) {
      EXPECT_EQ(bits_of(got), bits_of(want));
    } else {
      EXPECT_NMSE_BELOW(got, values_of(reference), rounding_nmse(out_dtype));
    }
  }
}

TEST(VulkanOps, HalfPrecisionPrimitivesMatchTheCpu) {
  REQUIRE_GPU();
  const std::pair<BinaryOp, bool> binary_ops[] = {
      {BinaryOp::Add, true},  {BinaryOp::Sub, true},     {BinaryOp::Mul, true},
      {BinaryOp::Div, true},  {BinaryOp::Maximum, true}, {BinaryOp::Minimum, true},
      {BinaryOp::Pow, false},
  };
  const std::pair<UnaryOp, bool> unary_ops[] = {
      {UnaryOp::Neg, true},   {UnaryOp::Abs, true},        {UnaryOp::Sqrt, false},
      {UnaryOp::Relu, true},  {UnaryOp::Floor, true},      {UnaryOp::Round, true},
      {UnaryOp::Sign, true},  {UnaryOp::Reciprocal, true}, {UnaryOp::Exp, false},
      {UnaryOp::Tanh, false}, {UnaryOp::Sigmoid, false},   {UnaryOp::GeluErf, false},
      {UnaryOp::Silu, false}, {UnaryOp::Sin, false},
  };
  for (DType dtype : k16BitFloats) {
    // 4 x 1001: dense launches take the four-wide path, odd offsets the scalar one.
    for (const Shape& shape : {Shape{4, 1001}, Shape{3, 37}}) {
      Tensor a = random_tensor(shape, dtype, 31) * 3, b = random_tensor(shape, dtype, 32) + 2;
      Tensor positive = abs(a) + 0.25;
      for (auto [op, exact] : binary_ops) {
        Tensor first = op == BinaryOp::Pow ? positive : a;
        expect_primitive_matches(
            binary_op_name(op),
            [op](Backend& be, const Inputs& in, const Tensor& out) {
              be.binary(op, in[0], in[1], out);
            },
            {first, b}, dtype, exact);
        expect_primitive_matches(
            binary_op_name(op),
            [op](Backend& be, const Inputs& in, const Tensor& out) {
              be.binary_scalar(op, in[0], 1.7, op == BinaryOp::Div, out);
            },
            {first}, dtype, exact);
      }
      for (auto [op, exact] : unary_ops) {
        Tensor x = op == UnaryOp::Sqrt ? positive : a;
        expect_primitive_matches(
            unary_op_name(op),
            [op](Backend& be, const Inputs& in, const Tensor& out) { be.unary(op, in[0], out); },
            {x}, dtype, exact);
      }
      expect_primitive_matches(
          "clamp",
          [](Backend& be, const Inputs& in, const Tensor& out) { be.clamp(in[0], -0.7, 1.1, out); },
          {a}, dtype, true);
      expect_primitive_matches(
          "copy", [](Backend& be, const Inputs& in, const Tensor& out) { be.copy(in[0], out); },
          {a}, dtype, true);
      expect_primitive_matches(
          "fill", [](Backend& be, const Inputs&, const Tensor& out) { be.fill(out, 0.3); }, {a},
          dtype, true);
      // The casts of mixed precision, with variants of their own, round as the CPU does.
      auto copy = [](Backend& be, const Inputs& in, const Tensor& out) { be.copy(in[0], out); };
      expect_primitive_matches("copy to float32", copy, {a}, kFloat32, true);
      expect_primitive_matches("copy from float32", copy, {random_tensor(shape, kFloat32, 34) * 3},
                               dtype, true);
      Tensor condition = gt(random_tensor(shape, kFloat32, 33), 0);
      expect_primitive_matches(
          "where",
          [](Backend& be, const Inputs& in, const Tensor& out) {
            be.where(in[2], in[0], in[1], out);
          },
          {a, b, condition}, dtype, true);
    }
  }
}

TEST(VulkanOps, HalfPrecisionBroadcastAndMixedDtypes) {
  REQUIRE_GPU();
  for (DType dtype : k16BitFloats) {
    SCOPED_TRACE(dtype_name(dtype));
    Tensor a = random_tensor({5, 1, 301}, dtype, 3), b = random_tensor({4, 1}, dtype, 4);
    Tensor ga = a.to(kGpu), gb = b.to(kGpu);
    EXPECT_EQ(bits_of(ga * gb + ga), bits_of(a * b + a));
    EXPECT_EQ(bits_of(ga.transpose(0, 2) - gb), bits_of(a.transpose(0, 2) - b));
    Tensor cond = gt(random_tensor({1, 4, 301}, kFloat32, 5), 0);
    EXPECT_EQ(bits_of(where(cond.to(kGpu), ga, gb)), bits_of(where(cond, a, b)));
    // Comparisons write bool and casts change dtype: the word variant converts.
    EXPECT_EQ(values_of(lt(ga, gb)), values_of(lt(a, b)));
    EXPECT_EQ(values_of(isnan(ga / 0.0 * 0.0)), values_of(isnan(a / 0.0 * 0.0)));
    Tensor wide = random_tensor({7, 131}, kFloat32, 6) * 50;
    EXPECT_EQ(bits_of(wide.to(kGpu).to(dtype)), bits_of(wide.to(dtype)));
    EXPECT_EQ(values_of(a.to(kGpu).to(kFloat32)), values_of(a.to(kFloat32)));
    EXPECT_EQ(values_of(a.to(kGpu).to(kInt32)), values_of(a.to(kInt32)));
  }
}

TEST(VulkanOps, HalfPrecisionUnaryOpsMatchFloat64) {
  REQUIRE_GPU();
  using Unary = Tensor (*)(const Tensor&);
  const std::pair<const char*, Unary> cases[] = {
      {"exp", ember::exp},
      {"log", [](const Tensor& x) { return log(abs(x)); }},
      {"expm1", ember::expm1},
      {"sin", ember::sin},
      {"tanh", ember::tanh},
      {"sigmoid", ember::sigmoid},
      {"gelu", [](const Tensor& x) { return gelu(x); }},
      {"silu", ember::silu},
      {"softplus", ember::softplus},
      {"erf", ember::erf},
      {"pow", [](const Tensor& x) { return pow(abs(x), 1.7); }},
  };
  for (DType dtype : k16BitFloats) {
    Tensor x = random_tensor({3, 333}, dtype, 21);  // the reference starts from the same halves
    for (const auto& [name, f] : cases) {
      std::vector<double> want = values_of(f(x.to(kFloat64)));
      for (const auto& [layout, gx] : layouts_of(x)) {
        SCOPED_TRACE(std::string(dtype_name(dtype)) + " " + name + " " + layout);
        Tensor got = f(gx);
        EXPECT_EQ(got.dtype(), dtype);
        EXPECT_NMSE_BELOW(got, want, rounding_nmse(dtype));
      }
    }
  }
}

TEST(VulkanOps, ReductionsOverAnyDimsMatchFloat64) {
  REQUIRE_GPU();
  const std::vector<std::vector<int64_t>> dim_sets = {{0}, {1}, {2}, {0, 2}, {1, 2}, {0, 1, 2}};
  for (const auto& dims : dim_sets) {
    SCOPED_TRACE(::testing::PrintToString(dims));
    Dims d(dims);
    expect_matches_cpu([&](const Inputs& x) { return sum(x[0], d); }, {{7, 30, 301}}, 1e-10);
    expect_matches_cpu([&](const Inputs& x) { return mean(x[0], d, true); }, {{7, 30, 301}}, 1e-10);
    expect_matches_cpu([&](const Inputs& x) { return amax(x[0], d); }, {{7, 30, 301}}, 1e-14);
    expect_matches_cpu([&](const Inputs& x) { return amin(x[0], d); }, {{7, 30, 301}}, 1e-14);
    expect_matches_cpu([&](const Inputs& x) { return prod(x[0] * 0.05 + 1, d); }, {{7, 30, 31}},
                       1e-9);
  }
  for (int64_t dim : {0, 1, 2}) {
    Tensor x = random_tensor({6, 40, 300}, kFloat32, 11);
    x.select(1, 3).fill_(2.0);  // repeated maxima: the first one wins
    x.select(1, 5).fill_(2.0);
    EXPECT_EQ(values_of(argmax(x.to(kGpu), dim)), values_of(argmax(x, dim)));
    EXPECT_EQ(values_of(argmin(x.to(kGpu), dim)), values_of(argmin(x, dim)));
  }
}

TEST(VulkanOps, ReductionsOfIntegersBoolsAndNaN) {
  REQUIRE_GPU();
  Tensor i = from_vector<int64_t>({int64_t{1} << 40, 3, -9, 12, 5, 6}).reshape({2, 3});
  EXPECT_EQ(sum(i.to(kGpu), 1).to_vector<int64_t>(), sum(i, 1).to_vector<int64_t>());
  EXPECT_EQ(amax(i.to(kGpu), 0).to_vector<int64_t>(), amax(i, 0).to_vector<int64_t>());
  EXPECT_EQ(argmin(i.to(kGpu), 1).to_vector<int64_t>(), argmin(i, 1).to_vector<int64_t>());
  Tensor flags = gt(random_tensor({5, 77}), 0);
  EXPECT_EQ(values_of(all(flags.to(kGpu), 1)), values_of(all(flags, 1)));
  EXPECT_EQ(values_of(any(flags.to(kGpu), 0)), values_of(any(flags, 0)));
  EXPECT_EQ(sum(flags.to(kGpu)).item<int64_t>(), sum(flags).item<int64_t>());
  Tensor n = from_vector<float>({1, NAN, 3, 4, 5, 6}).reshape({2, 3});
  std::vector<double> got = values_of(amax(n.to(kGpu), 1));
  EXPECT_TRUE(std::isnan(got[0]));
  EXPECT_EQ(got[1], 6);
  EXPECT_EQ(argmax(n.to(kGpu), 1).to_vector<int64_t>(), (std::vector<int64_t>{1, 2}));
  EXPECT_TRUE(std::isnan(mean(empty({0}, kFloat32, kGpu)).item<float>()));
}

TEST(VulkanOps, SoftmaxAndCumsumAlongEveryDim) {
  REQUIRE_GPU();
  for (int64_t dim : {0, 1, 2}) {
    SCOPED_TRACE(dim);
    expect_matches_cpu([=](const Inputs& x) { return softmax(x[0] * 3, dim); }, {{5, 6, 300}},
                       1e-11);
    expect_matches_cpu([=](const Inputs& x) { return log_softmax(x[0] * 3, dim); }, {{5, 6, 300}},
                       1e-11);
    expect_matches_cpu([=](const Inputs& x) { return cumsum(x[0], dim); }, {{5, 6, 300}}, 1e-11);
  }
  Tensor i = arange(20, kInt64).reshape({4, 5});
  EXPECT_EQ(cumsum(i.to(kGpu), 1).to_vector<int64_t>(), cumsum(i, 1).to_vector<int64_t>());
}

TEST(VulkanOps, MatmulOfEveryLayoutMatchesFloat64) {
  REQUIRE_GPU();
  auto mm = [](const Inputs& x) { return matmul(x[0], x[1]); };
  auto mm_at = [](const Inputs& x) { return matmul(x[0].t(), x[1]); };
  auto mm_bt = [](const Inputs& x) { return matmul(x[0], x[1].t()); };
  expect_matches_cpu(mm, {{67, 45}, {45, 130}}, 1e-10);
  expect_matches_cpu(mm_at, {{45, 67}, {45, 130}}, 1e-10);
  expect_matches_cpu(mm_bt, {{67, 45}, {130, 45}}, 1e-10);
  expect_matches_cpu(mm, {{1, 200}, {200, 3}}, 1e-10);
  expect_matches_cpu(mm, {{3, 5, 17, 33}, {3, 5, 33, 9}}, 1e-10);  // batched
  expect_matches_cpu(mm, {{4, 17, 33}, {33, 70}}, 1e-10);          // broadcast b
  expect_matches_cpu(mm, {{300}, {300, 7}}, 1e-10);                // vector @ matrix
  // Products of 2048 x 2048 and more take the large tiles.
  expect_matches_cpu(mm_bt, {{2050, 20}, {2049, 20}}, 1e-10);
  expect_matches_cpu(mm_at, {{20, 2049}, {20, 2050}}, 1e-10);
}

TEST(VulkanOps, IndexFamilyMatchesCpu) {
  REQUIRE_GPU();
  Tensor x = random_tensor({6, 7, 5});
  Tensor index = from_vector<int64_t>({4, 0, 6, 6, 2});
  for (int64_t dim : {0, 1}) {
    Tensor idx = remainder(index, x.shape()[dim]);
    EXPECT_EQ(values_of(index_select(x.to(kGpu), dim, idx.to(kGpu))),
              values_of(index_select(x, dim, idx)));
  }
  Tensor ix = arange(42, kInt64).reshape({6, 7}) * (int64_t{1} << 33);
  EXPECT_EQ(index_select(ix.to(kGpu), 1, index.to(kGpu)).to_vector<int64_t>(),
            index_select(ix, 1, index).to_vector<int64_t>());
  Tensor g = randint(0, 7, {6, 4, 5});
  EXPECT_EQ(values_of(gather(x.to(kGpu), 1, g.to(kGpu))), values_of(gather(x, 1, g)));
  Tensor src = random_tensor({6, 4, 5}, kFloat32, 3);
  Tensor base = random_tensor({6, 7, 5}, kFloat32, 4);
  EXPECT_NMSE_BELOW(scatter_add(base.to(kGpu), 1, g.to(kGpu), src.to(kGpu)),
                    values_of(scatter_add(base, 1, g, src)), 1e-12);
  Tensor rows = random_tensor({5, 7, 5}, kFloat32, 5);
  Tensor repeated = from_vector<int64_t>({4, 0, 5, 5, 2});  // two adds into row 5
  EXPECT_NMSE_BELOW(index_add(base.to(kGpu), 0, repeated.to(kGpu), rows.to(kGpu)),
                    values_of(index_add(base, 0, repeated, rows)), 1e-12);
}

TEST(VulkanOps, RandomNumbersAreTheCpusNumbers) {
  REQUIRE_GPU();
  for (int64_t n : {1, 7, 1001}) {
    manual_seed(42);
    Tensor cpu_u = rand({n});
    Tensor cpu_n = randn({n});
    Tensor cpu_i = randint(-5, 1000, {n});
    Tensor cpu_i32 = randint(3, 9, {n}, kInt32);
    manual_seed(42);
    EXPECT_EQ(values_of(rand({n}, kFloat32, kGpu)), values_of(cpu_u));
    EXPECT_NMSE_BELOW(randn({n}, kFloat32, kGpu), values_of(cpu_n), 1e-10);
    EXPECT_EQ(values_of(randint(-5, 1000, {n}, kInt64, kGpu)), values_of(cpu_i));
    EXPECT_EQ(values_of(randint(3, 9, {n}, kInt32, kGpu)), values_of(cpu_i32));
  }
}

TEST(VulkanOps, CrossEntropyAndItsGradientMatchFloat64) {
  REQUIRE_GPU();
  Tensor target = from_vector<int64_t>({3, 0, 299, 7, -100, 5, 1});
  for (double smoothing : {0.0, 0.1}) {
    nn::functional::CrossEntropyOptions options;
    options.label_smoothing = smoothing;
    Tensor logits = random_tensor({7, 300}, kFloat64) * 3;
    Tensor cpu = logits.clone().requires_grad_(true);
    Tensor loss_cpu = nn::functional::cross_entropy(cpu, target, options);
    loss_cpu.backward();
    Tensor gpu = logits.to(kFloat32).to(kGpu).requires_grad_(true);
    Tensor loss_gpu = nn::functional::cross_entropy(gpu, target.to(kGpu), options);
    loss_gpu.backward();
    EXPECT_NEAR(loss_gpu.item<double>(), loss_cpu.item<double>(), 1e-5 * loss_cpu.item<double>());
    EXPECT_NMSE_BELOW(gpu.grad(), values_of(cpu.grad()), 1e-10);
  }
  Tensor logits = random_tensor({2, 3}).to(kGpu);
  expect_error(
      [&] {
        nn::functional::cross_entropy(logits, from_vector<int64_t>({0, 3}).to(kGpu)).item<float>();
      },
      "cross_entropy", "target 3 of sample 1 is out of range [0, 3)");
}

TEST(VulkanOps, LayerNormAndItsGradientMatchFloat64) {
  REQUIRE_GPU();
  for (bool affine : {false, true}) {
    Tensor x = random_tensor({9, 300}, kFloat64) * 2 + 1;
    Tensor w = random_tensor({300}, kFloat64, 3), b = random_tensor({300}, kFloat64, 4);
    Tensor weight_grad = random_tensor({9, 300}, kFloat64, 5);
    auto run = [&](const Device& device, DType dtype) {
      Tensor xi = x.to(dtype).to(device).detach().clone().requires_grad_(true);
      Tensor wi = affine ? w.to(dtype).to(device) : Tensor();
      Tensor bi = affine ? b.to(dtype).to(device) : Tensor();
      Tensor y = nn::functional::layer_norm(xi, {300}, wi, bi);
      (y * weight_grad.to(dtype).to(device)).sum().backward();
      return std::pair{y, xi.grad()};
    };
    auto [y_cpu, g_cpu] = run(kCPU, kFloat64);
    auto [y_gpu, g_gpu] = run(kGpu, kFloat32);
    EXPECT_NMSE_BELOW(y_gpu, values_of(y_cpu), 1e-10);
    EXPECT_NMSE_BELOW(g_gpu, values_of(g_cpu), 1e-9);
  }
}

TEST(VulkanOps, AdamStepsMatchFloat64) {
  REQUIRE_GPU();
  for (bool decoupled : {false, true}) {
    Tensor start = random_tensor({33, 17}, kFloat64);
    Tensor grad = random_tensor({33, 17}, kFloat64, 2);
    auto run = [&](const Device& device, DType dtype) {
      Tensor p = start.to(dtype).to(device).detach().clone().requires_grad_(true);
      std::unique_ptr<optim::Optimizer> opt;
      if (decoupled) {
        opt = std::make_unique<optim::AdamW>(std::vector<Tensor>{p});
      } else {
        optim::AdamOptions options;
        options.weight_decay = 0.01;
        opt = std::make_unique<optim::Adam>(std::vector<Tensor>{p}, options);
      }
      for (int step = 1; step <= 3; ++step) {
        p.set_grad((grad * step).to(dtype).to(device));
        opt->step();
      }
      return p.detach();
    };
    EXPECT_NMSE_BELOW(run(kGpu, kFloat32), values_of(run(kCPU, kFloat64)), 1e-12);
  }
}

TEST(VulkanOps, WalksLongerThanOneLaunchAreSplit) {
  REQUIRE_GPU();
  int64_t n = 70000;  // more steps than one shader loop may take on lavapipe
  Tensor x = random_tensor({n, 2});
  EXPECT_NMSE_BELOW(cumsum(x.to(kGpu), 0), values_of(cumsum(x.to(kFloat64), 0)), 1e-10);
  EXPECT_NMSE_BELOW(sum(x.to(kGpu), 0), values_of(sum(x.to(kFloat64), 0)), 1e-10);
  EXPECT_NMSE_BELOW(softmax(x.to(kGpu), 0), values_of(softmax(x.to(kFloat64), 0)), 1e-10);
  Tensor rows = remainder(arange(n, kInt64) * 7, 10);
  Tensor base = zeros({10, 2});
  EXPECT_NMSE_BELOW(index_add(base.to(kGpu), 0, rows.to(kGpu), x.to(kGpu)),
                    values_of(index_add(base.to(kFloat64), 0, rows, x.to(kFloat64))), 1e-10);
  Tensor targets = remainder(arange(2 * n, kInt64), 10).reshape({n, 2});
  EXPECT_NMSE_BELOW(scatter_add(base.to(kGpu), 0, targets.to(kGpu), x.to(kGpu)),
                    values_of(scatter_add(base.to(kFloat64), 0, targets, x.to(kFloat64))), 1e-10);
}

TEST(VulkanOps, EdgeValuesMatchTheCpu) {
  REQUIRE_GPU();
  Tensor with_inf = from_vector<float>({-INFINITY, 1, 2, 3e38f, 3e38f});
  EXPECT_EQ(values_of(cumsum(with_inf.to(kGpu), 0)), values_of(cumsum(with_inf, 0)));
  Tensor small = from_vector<float>({1e-7f, -2e-5f, 3e-3f, 0.4f, -20.0f});
  EXPECT_NMSE_BELOW(expm1(small.to(kGpu)), values_of(expm1(small.to(kFloat64))), 1e-12);
  Tensor base = from_vector<float>({1, -1, -0.0f, -0.0f, 2, -2});
  Tensor exponent = from_vector<float>({NAN, INFINITY, -1, 3, 0.5f, 3});
  std::vector<double> pow_gpu = values_of(pow(base.to(kGpu), exponent.to(kGpu)));
  std::vector<double> pow_cpu = values_of(pow(base, exponent));
  for (size_t i = 0; i < pow_cpu.size(); ++i) {  // special cases exact, the rest to rounding
    if (std::isinf(pow_cpu[i])) {
      EXPECT_EQ(pow_gpu[i], pow_cpu[i]) << i;
    } else {
      EXPECT_NEAR(pow_gpu[i], pow_cpu[i], 1e-6 * std::abs(pow_cpu[i])) << i;
    }
    EXPECT_EQ(std::signbit(pow_gpu[i]), std::signbit(pow_cpu[i])) << i;
  }
  Tensor big = from_vector<float>({1e9f, -1e9f, 7, -3});
  Tensor divisor = from_vector<float>({7, 7, INFINITY, INFINITY});
  EXPECT_EQ(values_of(remainder(big.to(kGpu), divisor.to(kGpu))),
            values_of(remainder(big, divisor)));
  EXPECT_EQ(values_of(full({3}, 0.5, kBool, kGpu)), values_of(full({3}, 0.5, kBool)));
  Tensor nan = from_vector<float>({NAN, -2, 0});
  std::vector<double> sign_gpu = values_of(sign(nan.to(kGpu))), sign_cpu = values_of(sign(nan));
  EXPECT_TRUE(std::isnan(sign_gpu[0]) && std::isnan(sign_cpu[0]));  // as torch.sign
  EXPECT_EQ(sign_gpu[1], -1);
  EXPECT_EQ(sign_cpu[2], 0);
}

TEST(VulkanOps, AdamUpdatesManyParametersInFewDispatches) {
  REQUIRE_GPU();
  // 20 parameters: more than one dispatch holds, of sizes around the workgroup's.
  std::vector<Shape> shapes;
  for (int i = 0; i < 20; ++i) shapes.push_back({1 + 37 * i, i % 3 + 1});
  auto run = [&](const Device& device, DType dtype) {
    std::vector<Tensor> params;
    for (size_t i = 0; i < shapes.size(); ++i) {
      params.push_back(random_tensor(shapes[i], dtype, static_cast<uint32_t>(i))
                           .to(device)
                           .requires_grad_(true));
    }
    optim::AdamW optimizer(params);
    for (int step = 1; step <= 3; ++step) {
      for (size_t i = 0; i < params.size(); ++i) {
        params[i].set_grad(
            random_tensor(shapes[i], dtype, 100 + static_cast<uint32_t>(i)).to(device) * step);
      }
      optimizer.step();
    }
    std::vector<double> all;
    for (const Tensor& p : params) {
      std::vector<double> v = values_of(p);
      all.insert(all.end(), v.begin(), v.end());
    }
    return all;
  };
  std::vector<double> want = run(kCPU, kFloat64);
  Tensor got = from_vector(run(kGpu, kFloat32));
  EXPECT_NMSE_BELOW(got, want, 1e-12);
}

}  // namespace
}  // namespace ember::test
