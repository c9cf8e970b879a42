// Errors raised by Ember. Every message starts with the op that failed in brackets:
//   [matmul] inner dimensions differ: [32,784] @ [512,10]
#pragma once

#include <stdexcept>
#include <string>

namespace ember {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace ember
