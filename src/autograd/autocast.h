// The hooks through which front-end ops follow AutocastGuard (ember/amp.h). Each op that
// autocast changes starts with one line that calls itself again on cast inputs, e.g.
//   if (autocast::needs_float32(x)) return softmax(autocast::to_float32(x), dim);
// The inputs it returns no longer need a cast, so the call recurses once at most. Outside
// every guard a hook costs one thread-local load.
#pragma once

#include <optional>

#include "ember/amp.h"
#include "ember/tensor.h"

namespace ember::autocast {

namespace detail {
// How many device types have autocast on for this thread.
extern thread_local constinit int enabled_types;
bool wants_lower(const Tensor& x);
bool wants_float32(const Tensor& x);
}  // namespace detail

// Whether any input is a floating tensor that autocast runs in its 16-bit dtype but
// that has another dtype (float64 is never cast).
template <typename... Tensors>
bool needs_lower(const Tensors&... inputs) {
  return detail::enabled_types != 0 && (detail::wants_lower(inputs) || ...);
}
// Whether any input is a 16-bit tensor on a device type that autocast is on for.
template <typename... Tensors>
bool needs_float32(const Tensors&... inputs) {
  return detail::enabled_types != 0 && (detail::wants_float32(inputs) || ...);
}

// x in autocast's 16-bit dtype, through a differentiable cast (cached for parameters);
// x itself when autocast does not apply to it (undefined, integer, float64, other device).
Tensor lower(const Tensor& x);
// x in float32 through a differentiable cast when it is 16-bit and autocast applies.
Tensor to_float32(const Tensor& x);

// The dtype of the last enabled guard on this thread for a device type, if any; the
// GradScaler refuses to scale after bfloat16.
std::optional<DType> last_dtype(DeviceType type);

}  // namespace ember::autocast
