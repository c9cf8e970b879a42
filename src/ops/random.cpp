// The default generator and the random ops. The generator is only (seed, offset): each op
// reserves the Philox counters it needs and the backend computes element i from counter
// offset + i / 4 (or i / 2), so a saved state replays exactly on any device.
#include "ember/random.h"

#include <algorithm>
#include <cmath>
#include <mutex>
#include <numeric>

#include "ops/op_utils.h"

namespace ember {
namespace {

constexpr uint64_t kDefaultSeed = 67280421310721ULL;  // PyTorch's default seed

struct Generator {
  std::mutex mutex;
  RngState state{kDefaultSeed, 0};
};

Generator& default_generator() {
  static Generator generator;
  return generator;
}

// The counters n elements of dtype use: a block gives four 32-bit or two 64-bit values.
uint64_t counters_for(int64_t n, DType dtype) {
  int64_t per_block = itemsize(dtype) == 8 ? 2 : 4;
  return static_cast<uint64_t>((n + per_block - 1) / per_block);
}

// Hands out the state for the next counters and moves past them.
RngState reserve(uint64_t counters) {
  Generator& generator = default_generator();
  std::lock_guard<std::mutex> lock(generator.mutex);
  RngState state = generator.state;
  generator.state.offset += counters;
  return state;
}

// Generates in the kernel dtype (float32 for float16/bfloat16), then converts.
Tensor generate(Distribution distribution, double a, double b, const Shape& shape, DType dtype,
                const Device& device, const char* op) {
  Tensor out = make_tensor(shape, ops::kernel_dtype(dtype, device, Primitive::Random), device, op);
  RngState state = reserve(counters_for(out.numel(), out.dtype()));
  ops::backend_of(out).random(distribution, state.seed, state.offset, a, b, out);
  return ops::cast(out, dtype, op);
}

void check_floating(DType dtype, const char* op) {
  EMBER_CHECK(is_floating_point(dtype), op, "expects a floating-point dtype, got ", dtype);
}

// Integers up to this magnitude are exact in dtype (and in the double the backend takes).
double exact_integer_limit(DType dtype) {
  switch (dtype) {
    case kBool:
      return 1;
    case kUInt8:
      return 255;
    case kInt32:
      return 2147483647.0;
    case kFloat16:
      return 2048;
    case kBFloat16:
      return 256;
    case kFloat32:
      return 16777216.0;
    default:
      return 9007199254740992.0;  // 2^53
  }
}

double lowest_integer(DType dtype) {
  return dtype == kBool || dtype == kUInt8 ? 0 : -exact_integer_limit(dtype) - (dtype == kInt32);
}

}  // namespace

void manual_seed(uint64_t seed) { set_rng_state({seed, 0}); }

RngState get_rng_state() {
  Generator& generator = default_generator();
  std::lock_guard<std::mutex> lock(generator.mutex);
  return generator.state;
}

void set_rng_state(const RngState& state) {
  Generator& generator = default_generator();
  std::lock_guard<std::mutex> lock(generator.mutex);
  generator.state = state;
}

Tensor rand(const Shape& shape, DType dtype, const Device& device) {
  check_floating(dtype, "rand");
  return generate(Distribution::Uniform, 0, 1, shape, dtype, device, "rand");
}

Tensor randn(const Shape& shape, DType dtype, const Device& device) {
  check_floating(dtype, "randn");
  return generate(Distribution::Normal, 0, 1, shape, dtype, device, "randn");
}

Tensor randint(int64_t low, int64_t high, const Shape& shape, DType dtype, const Device& device) {
  EMBER_CHECK(low < high, "randint", "expects low < high, got low=", low, " and high=", high);
  auto first = static_cast<double>(low), last = static_cast<double>(high - 1);
  EMBER_CHECK(first >= lowest_integer(dtype) && last <= exact_integer_limit(dtype), "randint",
              "the range [", low, ", ", high, ") does not fit dtype ", dtype);
  return generate(Distribution::Integer, first, static_cast<double>(high), shape, dtype, device,
                  "randint");
}

Tensor bernoulli(const Tensor& p) {
  ops::check_defined(p, "bernoulli");
  check_floating(p.dtype(), "bernoulli");
  DType compute = ops::compute_dtype(p.dtype());
  Tensor u = generate(Distribution::Uniform, 0, 1, p.shape(), compute, p.device(), "bernoulli");
  Tensor hit = make_tensor(p.shape(), kBool, p.device(), "bernoulli");
  ops::backend_of(p).binary(BinaryOp::Lt, u, ops::cast(p, compute, "bernoulli"), hit);
  return ops::cast(hit, p.dtype(), "bernoulli");
}

Tensor bernoulli(const Shape& shape, double p, DType dtype, const Device& device) {
  EMBER_CHECK(p >= 0 && p <= 1, "bernoulli", "expects a probability in [0, 1], got ", p);
  Tensor u = generate(Distribution::Uniform, 0, 1, shape, kFloat32, device, "bernoulli");
  Tensor hit = make_tensor(shape, kBool, device, "bernoulli");
  ops::backend_of(u).binary_scalar(BinaryOp::Lt, u, static_cast<float>(p), false, hit);
  return ops::cast(hit, dtype, "bernoulli");
}

// Sorts random 64-bit keys (ties by index). The keys come from the CPU backend whatever
// the device, so a seed gives the same permutation everywhere.
Tensor randperm(int64_t n, DType dtype, const Device& device) {
  EMBER_CHECK(n >= 0, "randperm", "expects a non-negative n, got ", n);
  EMBER_CHECK(dtype != kBool && static_cast<double>(n) - 1 <= exact_integer_limit(dtype),
              "randperm", "n=", n, " does not fit dtype ", dtype);
  Tensor keys = make_tensor({n}, kInt64, kCPU, "randperm");
  RngState state = reserve(counters_for(n, kInt64));
  backend_for(kCPU).random(Distribution::Integer, state.seed, state.offset, 0, 0x1p62, keys);
  const int64_t* key = keys.data_ptr<int64_t>();
  // A tensor, not a std::vector: the allocator refuses what the host cannot hold as an Error.
  Tensor order = make_tensor({n}, kInt64, kCPU, "randperm");
  int64_t* first = order.data_ptr<int64_t>();
  std::iota(first, first + n, 0);
  std::sort(first, first + n,
            [key](int64_t i, int64_t j) { return key[i] != key[j] ? key[i] < key[j] : i < j; });
  return ops::cast(order, dtype, "randperm").to(device);
}

}  // namespace ember
