// A number that mixes with tensors: x * 2.0f, 1 - x, full({2}, 7).
#pragma once

#include <cstdint>
#include <type_traits>

namespace ember {

class Scalar {
 public:
  enum class Kind : uint8_t { Bool, Integral, Floating };

  template <typename T, std::enable_if_t<std::is_arithmetic_v<T>, int> = 0>
  Scalar(T value) {  // NOLINT: implicit so that numbers read naturally in expressions
    if constexpr (std::is_same_v<T, bool>) {
      kind_ = Kind::Bool;
      int_ = value ? 1 : 0;
    } else if constexpr (std::is_integral_v<T>) {
      kind_ = Kind::Integral;
      int_ = static_cast<int64_t>(value);
    } else {
      kind_ = Kind::Floating;
      double_ = static_cast<double>(value);
    }
  }

  Kind kind() const { return kind_; }
  bool is_floating_point() const { return kind_ == Kind::Floating; }
  double to_double() const { return kind_ == Kind::Floating ? double_ : static_cast<double>(int_); }
  int64_t to_int() const { return kind_ == Kind::Floating ? static_cast<int64_t>(double_) : int_; }

 private:
  Kind kind_ = Kind::Integral;
  int64_t int_ = 0;
  double double_ = 0.0;
};

}  // namespace ember
