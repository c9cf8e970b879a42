// Random primitives: every element is a pure function of (seed, offset, index), so the
// work is split over counter blocks and the numbers do not depend on the thread count.
// float16 and bfloat16 take float32's numbers, rounded on store.
#include <cmath>
#include <numbers>

#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/half.h"
#include "backend/cpu/loops.h"
#include "core/philox.h"

namespace ember::cpu {
namespace {

// Counter blocks per thread chunk: a block costs about as much as a few dozen adds.
constexpr int64_t kBlockGrain = 2048;

// 64-bit elements take two words of a block, the rest one.
template <typename T>
constexpr int64_t kPerBlock = sizeof(T) == 8 ? 2 : 4;

template <typename T>
using Values = std::array<compute_t<T>, kPerBlock<T>>;

// Calls values(block) for each counter block and stores its elements in out.
template <typename T, typename MakeValues>
void generate(const Tensor& out, uint64_t seed, uint64_t offset, const MakeValues& values) {
  T* data = data_of<T>(out);
  int64_t n = out.numel();
  constexpr int64_t per_block = kPerBlock<T>;
  philox::Key key = philox::key_of(seed);
  parallel_for(0, (n + per_block - 1) / per_block, kBlockGrain, [&](int64_t begin, int64_t end) {
    for (int64_t b = begin; b < end; ++b) {
      Values<T> v = values(philox::block_at(key, offset + static_cast<uint64_t>(b)));
      int64_t first = b * per_block;
      int64_t count = std::min(per_block, n - first);
      for (int64_t j = 0; j < count; ++j) data[first + j] = store<T>(v[j]);
    }
  });
}

// The largest value of S below high, as a float (rounding to S may reach high).
template <typename S>
float below_in(float high) {
  S value = store<S>(high);
  if (load(value) < high) return load(value);
  bool negative = value.bits & 0x8000u;
  if (value.bits == 0) {
    value.bits = 0x8001u;  // below +0: the smallest negative subnormal
  } else {
    value.bits = static_cast<uint16_t>(negative ? value.bits + 1 : value.bits - 1);
  }
  return load(value);
}

template <typename S>
void uniform(const Tensor& out, uint64_t seed, uint64_t offset, double a, double b) {
  using T = compute_t<S>;
  T low = static_cast<T>(a), span = static_cast<T>(b - a), high = static_cast<T>(b);
  // Rounding of low + span * u may reach b; the interval is half-open.
  T below_high = std::nextafter(high, low);
  if constexpr (is_16bit_float_v<S>) below_high = std::min(below_high, below_in<S>(high));
  generate<S>(out, seed, offset, [=](const philox::Block& r) {
    Values<T> v;
    for (size_t j = 0; j < v.size(); ++j) {
      T u = sizeof(T) == 8 ? static_cast<T>(philox::to_double(r[2 * j], r[2 * j + 1]))
                           : static_cast<T>(philox::to_float(r[j]));
      v[j] = std::min(low + span * u, below_high);
    }
    return v;
  });
}

// Box-Muller: each pair of uniforms gives two normals (cosine and sine branch).
template <typename S>
void normal(const Tensor& out, uint64_t seed, uint64_t offset, double mean, double stddev) {
  using T = compute_t<S>;
  T m = static_cast<T>(mean), s = static_cast<T>(stddev);
  constexpr T two_pi = 2 * std::numbers::pi_v<T>;
  generate<S>(out, seed, offset, [=](const philox::Block& r) {
    Values<T> v;
    for (size_t j = 0; j < v.size(); j += 2) {
      T u1, u2;
      if constexpr (sizeof(T) == 8) {
        u1 = philox::to_double_nonzero(r[0], r[1]);
        u2 = philox::to_double(r[2], r[3]);
      } else {
        u1 = philox::to_float_nonzero(r[j]);
        u2 = philox::to_float(r[j + 1]);
      }
      T radius = std::sqrt(T(-2) * std::log(u1));
      v[j] = m + s * radius * std::cos(two_pi * u2);
      v[j + 1] = m + s * radius * std::sin(two_pi * u2);
    }
    return v;
  });
}

// low + (x mod range); the bias is below range / 2^32 (2^64 for 64-bit outputs). float16
// and bfloat16 round the integer to float32 first, then to 16 bits, as Vulkan's stores do.
template <typename T>
void integer(const Tensor& out, uint64_t seed, uint64_t offset, double a, double b) {
  auto low = static_cast<int64_t>(a);
  uint64_t range = static_cast<uint64_t>(static_cast<int64_t>(b)) - static_cast<uint64_t>(low);
  generate<T>(out, seed, offset, [=](const philox::Block& r) {
    Values<T> v;
    for (size_t j = 0; j < v.size(); ++j) {
      uint64_t x = sizeof(T) == 8 ? philox::to_uint64(r[2 * j], r[2 * j + 1]) : r[j];
      v[j] = convert<compute_t<T>>(static_cast<int64_t>(static_cast<uint64_t>(low) + x % range));
    }
    return v;
  });
}

}  // namespace

void CpuBackend::random(Distribution distribution, uint64_t seed, uint64_t offset, double a,
                        double b, const Tensor& out) {
  if (out.numel() == 0) return;  // an empty tensor need not count as contiguous
  EMBER_CHECK(out.is_contiguous(), "random", "expects a contiguous output");
  switch (distribution) {
    case Distribution::Uniform:
      EMBER_DISPATCH_FLOATING_AND_16BIT(out.dtype(), "random",
                                        [&] { uniform<T>(out, seed, offset, a, b); });
      break;
    case Distribution::Normal:
      EMBER_DISPATCH_FLOATING_AND_16BIT(out.dtype(), "random",
                                        [&] { normal<T>(out, seed, offset, a, b); });
      break;
    case Distribution::Integer:
      EMBER_CHECK(a < b, "random", "expects an integer range with low < high, got [", a, ", ", b,
                  ")");
      EMBER_DISPATCH_COMPUTE_AND_16BIT(out.dtype(), "random",
                                       [&] { integer<T>(out, seed, offset, a, b); });
      break;
  }
}

}  // namespace ember::cpu
