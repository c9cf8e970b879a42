// float32 functions written so that loops over them vectorise (no calls, no branches:
// selects only, which the kernels' -fno-trapping-math lets the compiler turn into blends).
// Each is tested against float64 in tests/test_elementwise.cpp.
#pragma once

#include <bit>
#include <cstdint>

namespace ember::cpu {

// exp by range reduction x = n ln2 + r (Cody-Waite split of ln2) and Cephes' polynomial
// for e^r on [-ln2/2, ln2/2]; about 1 ulp. 2^n is applied in two halves so that results
// in the subnormal range are still right.
inline float exp_f32(float x) {
  constexpr float kLog2e = 1.44269504088896341f, kLn2Hi = 0.693359375f, kLn2Lo = -2.12194440e-4f;
  constexpr float kRound = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer
  // A NaN-preserving clamp, spelt so that GCC keeps it branch-free: a nested ?: was
  // jump-threaded into branches, which stopped the loop from vectorising.
  float xc = x < -104.0f ? -104.0f : x;
  xc = xc > 89.0f ? 89.0f : xc;
  xc = x != x ? x : xc;
  float t = xc * kLog2e + kRound;
  float n = t - kRound;
  int32_t ni = std::bit_cast<int32_t>(t) - std::bit_cast<int32_t>(kRound);
  float r = xc - n * kLn2Hi - n * kLn2Lo;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  int32_t half = ni >> 1;
  float scale1 = std::bit_cast<float>((half + 127) << 23);
  float scale2 = std::bit_cast<float>((ni - half + 127) << 23);
  return p * scale1 * scale2;
}

// Cephes' odd polynomial near zero, where 1 - 2/(e^2x + 1) would cancel.
inline float tanh_f32(float x) {
  float ax = x < 0 ? -x : x;
  float s = x * x;
  float small = ((((-5.70498872745e-3f * s + 2.06390887954e-2f) * s - 5.37397155531e-2f) * s +
                  1.33314422036e-1f) *
                     s -
                 3.33332819422e-1f) *
                    s * x +
                x;
  float large = 1.0f - 2.0f / (exp_f32(2.0f * ax) + 1.0f);
  large = x < 0 ? -large : large;
  return ax < 0.625f ? small : large;
}

inline float sigmoid_f32(float x) { return 1.0f / (1.0f + exp_f32(-x)); }

// erfc for z >= 0 (Numerical Recipes' Chebyshev fit): relative error below 1.2e-7. The
// exponent -z^2 is split as -zh^2 + (zh - z)(zh + z) with zh z's top 12 bits, so that
// the rounding of z^2 (large in the tail) does not reach the result.
inline float erfc_positive_f32(float z) {
  float t = 1.0f / (1.0f + 0.5f * z);
  float p = 0.17087277f;
  p = p * t - 0.82215223f;
  p = p * t + 1.48851587f;
  p = p * t - 1.13520398f;
  p = p * t + 0.27886807f;
  p = p * t - 0.18628806f;
  p = p * t + 0.09678418f;
  p = p * t + 0.37409196f;
  p = p * t + 1.00002368f;
  p = p * t - 1.26551223f;
  float zh = std::bit_cast<float>(std::bit_cast<uint32_t>(z) & 0xfffff000u);
  return t * exp_f32(-zh * zh) * exp_f32((zh - z) * (zh + z) + p);
}

// Taylor series below 0.5 (where 1 - erfc would lose digits), erfc above.
inline float erf_f32(float x) {
  float s = x * x;
  float series = 1.0f / 75600.0f;
  series = -series * s + 1.0f / 9360.0f;
  series = series * s - 1.0f / 1320.0f;
  series = series * s + 1.0f / 216.0f;
  series = series * s - 1.0f / 42.0f;
  series = series * s + 1.0f / 10.0f;
  series = series * s - 1.0f / 3.0f;
  series = (series * s + 1.0f) * x * 1.12837916709551257f;
  float ax = x < 0 ? -x : x;
  float tail = 1.0f - erfc_positive_f32(ax);
  tail = x < 0 ? -tail : tail;
  return ax < 0.5f ? series : tail;
}

// x * Phi(x) with Phi from erfc on the side where 1 + erf(x) would cancel.
inline float gelu_erf_f32(float x) {
  float u = x * 0.70710678118654752f;
  float e = erfc_positive_f32(u < 0 ? -u : u);
  float phi = u < 0 ? 0.5f * e : 1.0f - 0.5f * e;
  return x * phi;
}

}  // namespace ember::cpu
