// AutocastGuard's per-thread state and the casts the op hooks ask for.
#include "autograd/autocast.h"

#include <array>
#include <unordered_map>

#include "core/check.h"
#include "ember/autograd.h"

namespace ember {

namespace {

constexpr size_t kDeviceTypes = 2;

struct CachedCast {
  Tensor source;  // kept alive so that its address cannot be reused for another tensor
  Tensor cast;
};

struct ThreadState {
  std::array<bool, kDeviceTypes> enabled{};
  std::array<DType, kDeviceTypes> dtype{kBFloat16, kFloat16};  // torch.autocast's defaults
  std::array<std::optional<DType>, kDeviceTypes> last_dtype{};
  int depth = 0;
  std::unordered_map<const TensorImpl*, CachedCast> cache;
};

thread_local ThreadState state;

size_t slot(DeviceType type) { return static_cast<size_t>(type); }

bool applies_to(const Tensor& x) { return x.defined() && state.enabled[slot(x.device().type())]; }

DType lower_dtype(const Tensor& x) { return state.dtype[slot(x.device().type())]; }

// As PyTorch: parameters (float32 leaves that require grad) are cast once per outermost
// guard, and only while grad mode records the cast.
bool cacheable(const Tensor& x) {
  return x.dtype() == kFloat32 && x.is_leaf() && x.requires_grad() && is_grad_enabled();
}

}  // namespace

namespace autocast {

namespace detail {

thread_local constinit int enabled_types = 0;

bool wants_lower(const Tensor& x) {
  return applies_to(x) && is_floating_point(x.dtype()) && x.dtype() != kFloat64 &&
         x.dtype() != lower_dtype(x);
}

bool wants_float32(const Tensor& x) {
  return applies_to(x) && (x.dtype() == kFloat16 || x.dtype() == kBFloat16);
}

}  // namespace detail

Tensor lower(const Tensor& x) {
  if (!detail::wants_lower(x)) return x;
  if (!cacheable(x)) return x.to(lower_dtype(x));
  auto [entry, inserted] = state.cache.try_emplace(x.impl().get());
  if (inserted || entry->second.cast.dtype() != lower_dtype(x)) {
    entry->second = CachedCast{x, x.to(lower_dtype(x))};
  }
  return entry->second.cast;
}

Tensor to_float32(const Tensor& x) { return detail::wants_float32(x) ? x.to(kFloat32) : x; }

std::optional<DType> last_dtype(DeviceType type) { return state.last_dtype[slot(type)]; }

}  // namespace autocast

AutocastGuard::AutocastGuard(const Device& device, DType dtype, bool enabled)
    : type_(device.type()),
      previous_enabled_(state.enabled[slot(type_)]),
      previous_dtype_(state.dtype[slot(type_)]) {
  EMBER_CHECK(dtype == kFloat16 || dtype == kBFloat16, "AutocastGuard",
              "dtype must be float16 or bfloat16, got ", dtype);
  state.enabled[slot(type_)] = enabled;
  state.dtype[slot(type_)] = dtype;
  if (enabled) state.last_dtype[slot(type_)] = dtype;
  autocast::detail::enabled_types +=
      static_cast<int>(enabled) - static_cast<int>(previous_enabled_);
  ++state.depth;
}

AutocastGuard::~AutocastGuard() {
  bool enabled = state.enabled[slot(type_)];
  state.enabled[slot(type_)] = previous_enabled_;
  state.dtype[slot(type_)] = previous_dtype_;
  autocast::detail::enabled_types +=
      static_cast<int>(previous_enabled_) - static_cast<int>(enabled);
  if (--state.depth == 0) state.cache.clear();
}

bool is_autocast_enabled(DeviceType type) { return state.enabled[slot(type)]; }

DType get_autocast_dtype(DeviceType type) { return state.dtype[slot(type)]; }

}  // namespace ember
