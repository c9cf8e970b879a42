// Contiguous loops compiled twice, for the x86-64 baseline and for AVX2 (picked at run
// time), so that plain loops over float32 run eight lanes wide where the CPU allows.
// Loop bodies are inlined lambdas; src/backend/cpu/vec_math.h has float functions that
// vectorise inside them.
#pragma once

#include <cstdint>

namespace ember::cpu {

#if defined(__x86_64__)
#define EMBER_AVX2 __attribute__((target("avx2,fma")))
inline bool has_avx2() {
  static const bool supported = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  }();
  return supported;
}
#endif

#define EMBER_MAP1_BODY \
  for (int64_t i = 0; i < n; ++i) dst[i] = f(src[i]);
#define EMBER_MAP2_BODY \
  for (int64_t i = 0; i < n; ++i) dst[i] = f(a[i], b[i]);

template <typename Out, typename In, typename F>
void map1_default(Out* __restrict dst, const In* __restrict src, int64_t n, const F& f) {
  EMBER_MAP1_BODY
}
template <typename Out, typename T, typename F>
void map2_default(Out* __restrict dst, const T* __restrict a, const T* __restrict b, int64_t n,
                  const F& f) {
  EMBER_MAP2_BODY
}

#if defined(__x86_64__)
template <typename Out, typename In, typename F>
EMBER_AVX2 void map1_avx2(Out* __restrict dst, const In* __restrict src, int64_t n, const F& f) {
  EMBER_MAP1_BODY
}
template <typename Out, typename T, typename F>
EMBER_AVX2 void map2_avx2(Out* __restrict dst, const T* __restrict a, const T* __restrict b,
                          int64_t n, const F& f) {
  EMBER_MAP2_BODY
}
#endif

// dst[i] = f(src[i]) over n contiguous elements.
template <typename Out, typename In, typename F>
void map1(Out* dst, const In* src, int64_t n, const F& f) {
#if defined(__x86_64__)
  if (has_avx2()) return map1_avx2(dst, src, n, f);
#endif
  map1_default(dst, src, n, f);
}

// dst[i] = f(a[i], b[i]) over n contiguous elements.
template <typename Out, typename T, typename F>
void map2(Out* dst, const T* a, const T* b, int64_t n, const F& f) {
#if defined(__x86_64__)
  if (has_avx2()) return map2_avx2(dst, a, b, n, f);
#endif
  map2_default(dst, a, b, n, f);
}

}  // namespace ember::cpu
