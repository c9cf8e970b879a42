// CPU copy family: strided copies with dtype conversion, and fill.
#include <cstring>

#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/loops.h"

namespace ember::cpu {

namespace {

template <typename To, typename From>
void copy_runs(const StridedLoop<2>& loop) {
  loop.run(kElementwiseGrain,
           [](const std::array<char*, 2>& p, const std::array<int64_t, 2>& s, int64_t n) {
             auto* dst = reinterpret_cast<To*>(p[0]);
             const auto* src = reinterpret_cast<const From*>(p[1]);
             if (s[0] == sizeof(To) && s[1] == sizeof(From)) {
               for (int64_t i = 0; i < n; ++i) dst[i] = convert<To>(src[i]);
               return;
             }
             for (int64_t i = 0; i < n; ++i) {
               *reinterpret_cast<To*>(p[0] + i * s[0]) =
                   convert<To>(*reinterpret_cast<const From*>(p[1] + i * s[1]));
             }
           });
}

}  // namespace

void CpuBackend::copy(const Tensor& src, const Tensor& dst) {
  if (src.dtype() == dst.dtype() && src.is_contiguous() && dst.is_contiguous()) {
    auto* to = static_cast<char*>(dst.impl()->data());
    const auto* from = static_cast<const char*>(src.impl()->data());
    int64_t size = static_cast<int64_t>(itemsize(src.dtype()));
    parallel_for(0, src.numel(), 4 * kElementwiseGrain, [&](int64_t b, int64_t e) {
      std::memcpy(to + b * size, from + b * size, static_cast<size_t>((e - b) * size));
    });
    return;
  }
  StridedLoop<2> loop(dst.shape(), {&dst, &src});
  EMBER_DISPATCH_ALL(dst.dtype(), "copy", [&] {
    using To = T;
    EMBER_DISPATCH_ALL(src.dtype(), "copy", [&] { copy_runs<To, T>(loop); });
  });
}

void CpuBackend::fill(const Tensor& dst, Scalar value) {
  StridedLoop<1> loop(dst.shape(), {&dst});
  EMBER_DISPATCH_ALL(dst.dtype(), "fill", [&] {
    T v = value.is_floating_point() ? convert<T>(value.to_double()) : convert<T>(value.to_int());
    loop.run(kElementwiseGrain,
             [v](const std::array<char*, 1>& p, const std::array<int64_t, 1>& s, int64_t n) {
               if (s[0] == sizeof(T)) {
                 std::fill_n(reinterpret_cast<T*>(p[0]), n, v);
                 return;
               }
               for (int64_t i = 0; i < n; ++i) *reinterpret_cast<T*>(p[0] + i * s[0]) = v;
             });
  });
}

}  // namespace ember::cpu
