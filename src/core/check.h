// Raising ember::Error with a message that names the op: EMBER_CHECK(ok, "matmul", "...", x).
#pragma once

#include <sstream>
#include <string>
#include <vector>

#include "ember/error.h"
#include "ember/tensor.h"

namespace ember::detail {

inline void append(std::ostringstream& out, const Shape& shape) { out << shape_string(shape); }
inline void append(std::ostringstream& out, DType dtype) { out << dtype_name(dtype); }
inline void append(std::ostringstream& out, const Device& device) { out << device.str(); }
inline void append(std::ostringstream& out, Scalar value) {
  if (value.is_floating_point()) {
    out << value.to_double();
  } else {
    out << value.to_int();
  }
}
template <typename T>
void append(std::ostringstream& out, const T& value) {
  out << value;
}

template <typename... Args>
[[noreturn]] void fail(const char* op, const Args&... parts) {
  std::ostringstream out;
  out << '[' << op << "] ";
  (append(out, parts), ...);
  throw Error(out.str());
}

}  // namespace ember::detail

// The message is built only when the check fails, so checks cost nothing on the hot path.
#define EMBER_CHECK(condition, op, ...)       \
  do {                                        \
    if (!(condition)) [[unlikely]] {          \
      ::ember::detail::fail(op, __VA_ARGS__); \
    }                                         \
  } while (false)
