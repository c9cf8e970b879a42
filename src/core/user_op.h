// The op the user called, for errors that a device finds later in a kernel the op launched
// (a Vulkan index out of range is found while the host has moved on). A front end that
// runs a shared primitive under another name sets it for the duration of the call;
// backends copy it only when they launch a kernel that checks its input on the device, so
// setting it costs a thread-local store.
#pragma once

#include <array>

#include "ember/tensor.h"

namespace ember {

struct UserOperand {
  const char* name;    // a string literal
  const Shape* shape;  // lives as long as the UserOpScope
};

struct UserOp {
  const char* name;  // a string literal
  std::array<UserOperand, 2> operands;
};

inline thread_local const UserOp* current_user_op = nullptr;

class UserOpScope {
 public:
  explicit UserOpScope(const UserOp& op) : previous_(current_user_op) { current_user_op = &op; }
  ~UserOpScope() { current_user_op = previous_; }
  UserOpScope(const UserOpScope&) = delete;
  UserOpScope& operator=(const UserOpScope&) = delete;

 private:
  const UserOp* previous_;
};

}  // namespace ember
