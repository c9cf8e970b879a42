// Inline float16 and bfloat16 conversions for the CPU kernels.
//
// include/ember/dtype.h converts out of line, which no loop can vectorise. These give
// bit for bit the same results (round to nearest even, NaN kept a quiet NaN) with
// selects instead of branches, so contiguous loops compile to vector code. F16C is not
// used: its NaN conversions keep payload bits that Half(float) drops.
#pragma once

#include <bit>
#include <cstdint>
#include <type_traits>

#include "backend/cpu/simd.h"
#include "ember/dtype.h"

namespace ember::cpu {

inline float half_bits_to_float(uint16_t h) {
  uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  uint32_t exponent = (h >> 10) & 0x1fu;
  uint32_t mantissa = h & 0x3ffu;
  uint32_t normal = ((exponent + 112) << 23) | (mantissa << 13);
  uint32_t inf_nan = 0x7f800000u | (mantissa << 13);
  uint32_t subnormal =
      std::bit_cast<uint32_t>(static_cast<float>(static_cast<int32_t>(mantissa)) * 0x1p-24f);
  uint32_t magnitude = exponent == 0 ? subnormal : (exponent == 0x1f ? inf_nan : normal);
  return std::bit_cast<float>(sign | magnitude);
}

inline uint16_t float_to_half_bits(float value) {
  uint32_t f = std::bit_cast<uint32_t>(value);
  uint32_t sign = (f >> 16) & 0x8000u;
  uint32_t magnitude = f & 0x7fffffffu;
  // Signed compares: magnitude < 2^31, and x86 vector compares are signed.
  auto m = static_cast<int32_t>(magnitude);
  // Rebias the exponent (-112 << 23) and round to nearest even.
  uint32_t normal = (magnitude + 0xc8000fffu + ((magnitude >> 13) & 1u)) >> 13;
  // A half subnormal: float addition does the rounding.
  uint32_t subnormal =
      std::bit_cast<uint32_t>(std::bit_cast<float>(magnitude) + 0.5f) - 0x3f000000u;
  uint32_t result = m < 0x38800000 ? subnormal : normal;
  result = m >= 0x477ff000 ? 0x7c00u : result;  // rounds past the largest half, or inf
  result = m > 0x7f800000 ? 0x7e00u : result;   // NaN
  return static_cast<uint16_t>(sign | result);
}

inline float bfloat16_bits_to_float(uint16_t b) {
  return std::bit_cast<float>(static_cast<uint32_t>(b) << 16);
}

inline uint16_t float_to_bfloat16_bits(float value) {
  uint32_t f = std::bit_cast<uint32_t>(value);
  uint32_t rounded = (f + 0x7fffu + ((f >> 16) & 1u)) >> 16;
  uint32_t nan = (f >> 16) | 0x40u;
  return static_cast<uint16_t>(static_cast<int32_t>(f & 0x7fffffffu) > 0x7f800000 ? nan : rounded);
}

template <typename T>
inline constexpr bool is_16bit_float_v = std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>;

// The type a kernel computes in for elements stored as T: float for 16-bit floats.
template <typename T>
using compute_t = std::conditional_t<is_16bit_float_v<T>, float, T>;

template <typename T>
inline compute_t<T> load(T value) {
  if constexpr (std::is_same_v<T, Half>) {
    return half_bits_to_float(value.bits);
  } else if constexpr (std::is_same_v<T, BFloat16>) {
    return bfloat16_bits_to_float(value.bits);
  } else {
    return value;
  }
}

// Rounds a computed value to the storage type T (once, to nearest even).
template <typename T, typename V>
inline T store(V value) {
  if constexpr (std::is_same_v<T, Half>) {
    T out;
    out.bits = float_to_half_bits(static_cast<float>(value));
    return out;
  } else if constexpr (std::is_same_v<T, BFloat16>) {
    T out;
    out.bits = float_to_bfloat16_bits(static_cast<float>(value));
    return out;
  } else {
    return static_cast<T>(value);
  }
}

// Elements converted together: blocks on the stack that float32 loops then work on.
inline constexpr int64_t kConvertBlock = 256;

// The bits of a 16-bit float array, for loops that vectorise over plain integers.
template <typename T>
inline const uint16_t* bits_of(const T* p) {
  static_assert(is_16bit_float_v<T> && sizeof(T) == sizeof(uint16_t));
  return reinterpret_cast<const uint16_t*>(p);
}
template <typename T>
inline uint16_t* bits_of(T* p) {
  static_assert(is_16bit_float_v<T> && sizeof(T) == sizeof(uint16_t));
  return reinterpret_cast<uint16_t*>(p);
}

// dst[i] = float(src[i]) over n contiguous elements.
template <typename T>
void widen(const T* src, float* dst, int64_t n) {
  if constexpr (std::is_same_v<T, Half>) {
    map1(dst, bits_of(src), n, [](uint16_t h) { return half_bits_to_float(h); });
  } else {
    map1(dst, bits_of(src), n, [](uint16_t b) { return bfloat16_bits_to_float(b); });
  }
}

// dst[i] = T(src[i]) over n contiguous elements.
template <typename T>
void narrow(const float* src, T* dst, int64_t n) {
  if constexpr (std::is_same_v<T, Half>) {
    map1(bits_of(dst), src, n, [](float v) { return float_to_half_bits(v); });
  } else {
    map1(bits_of(dst), src, n, [](float v) { return float_to_bfloat16_bits(v); });
  }
}

}  // namespace ember::cpu
