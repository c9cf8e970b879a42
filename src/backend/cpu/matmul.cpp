// CPU matmul family: float32/float64 through CBLAS, integers through a plain loop.
#if defined(__APPLE__)
#include <Accelerate/Accelerate.h>
#else
#include <cblas.h>
#endif

#include <omp.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <mutex>
#include <type_traits>

#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/loops.h"

#if defined(EMBER_USE_OPENBLAS)
// Part of OpenBLAS's dynamic-architecture build only; weak, so other builds link without them.
extern "C" {
void gotoblas_dynamic_init(void) __attribute__((weak));
void gotoblas_dynamic_quit(void) __attribute__((weak));
}
#endif

namespace ember::cpu {

namespace {

#if defined(EMBER_USE_OPENBLAS)
// OpenBLAS picks its kernels from the CPU model when it loads, and a model newer than the
// library (Debian 12's 0.3.21 on Emerald Rapids, say) gets the generic Prescott kernels:
// ten times slower. Unless the user chose a core with OPENBLAS_CORETYPE, re-select by the
// instruction sets the CPU reports.
void select_blas_kernels() {
#if defined(__x86_64__)
  if (!gotoblas_dynamic_init || !gotoblas_dynamic_quit) return;
  if (std::getenv("OPENBLAS_CORETYPE") || std::strcmp(openblas_get_corename(), "Prescott") != 0) {
    return;
  }
  const char* core = __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl")
                         ? "SkylakeX"
                     : __builtin_cpu_supports("avx2") ? "Haswell"
                                                      : nullptr;
  if (!core) return;
  setenv("OPENBLAS_CORETYPE", core, 1);
  gotoblas_dynamic_quit();
  gotoblas_dynamic_init();
  unsetenv("OPENBLAS_CORETYPE");
#endif
}

// Every CPU kernel, this one included, runs on OpenMP's threads, and OpenBLAS runs
// single-threaded inside them: its own thread pool spins after each call and would steal
// the cores from the OpenMP kernels that follow.
void prepare_blas() {
  static std::once_flag once;
  std::call_once(once, [] {
    select_blas_kernels();
    openblas_set_num_threads(1);
  });
}
#else
void prepare_blas() {}
#endif

// How BLAS reads one [rows, cols] matrix: row-major with leading dimension ld, or
// column-major (CblasTrans) with leading dimension ld. A size-1 dim's stride is
// meaningless, so the leading dimension is then the smallest BLAS accepts.
struct Layout {
  bool transposed;
  int64_t ld;
};

Layout layout_of(const Tensor& m) {
  int64_t rows = m.size(-2), cols = m.size(-1);
  int64_t row_stride = m.stride(-2), col_stride = m.stride(-1);
  if (cols == 1 || col_stride == 1) {
    if (rows == 1 || row_stride >= cols) {
      return {false, rows == 1 ? std::max<int64_t>(cols, 1) : row_stride};
    }
  }
  if (rows == 1 || row_stride == 1) {
    if (cols == 1 || col_stride >= rows) {
      return {true, cols == 1 ? std::max<int64_t>(rows, 1) : col_stride};
    }
  }
  detail::fail("matmul", "internal: operand of shape ", m.shape(), " and strides ", m.strides(),
               " is neither row- nor column-major");
}

CBLAS_TRANSPOSE blas_op(const Layout& l) { return l.transposed ? CblasTrans : CblasNoTrans; }

template <typename T>
void gemm(const Layout& la, const Layout& lb, int64_t m, int64_t n, int64_t k, const T* a,
          const T* b, T* c, int64_t ldc) {
  auto i = [](int64_t v) { return static_cast<int>(v); };
  if constexpr (std::is_same_v<T, float>) {
    cblas_sgemm(CblasRowMajor, blas_op(la), blas_op(lb), i(m), i(n), i(k), 1.0f, a, i(la.ld), b,
                i(lb.ld), 0.0f, c, i(ldc));
  } else {
    cblas_dgemm(CblasRowMajor, blas_op(la), blas_op(lb), i(m), i(n), i(k), 1.0, a, i(la.ld), b,
                i(lb.ld), 0.0, c, i(ldc));
  }
}

// Below this many multiply-adds a product stays on one thread.
constexpr int64_t kMinParallelFlops = int64_t{1} << 18;

// From this many multiply-adds on, one product is better run by OpenBLAS's own threads,
// which share the packed blocks of B, than by splitting it between OpenMP threads that
// would each pack it.
constexpr int64_t kSharedPackingFlops = int64_t{1} << 27;

template <typename T>
void shared_gemm(const Layout& la, const Layout& lb, int64_t m, int64_t n, int64_t k, const T* a,
                 const T* b, T* c) {
#if defined(EMBER_USE_OPENBLAS)
  openblas_set_num_threads(omp_get_max_threads());
  gemm<T>(la, lb, m, n, k, a, b, c, n);
  openblas_set_num_threads(1);
#else
  gemm<T>(la, lb, m, n, k, a, b, c, n);
#endif
}

// Threads take whole matrices of the batch, or blocks of rows (columns when the output is
// wider than tall) of each when the batch is smaller than the thread count.
template <typename T>
void blas_matmul(const Tensor& a, const Tensor& b, const Tensor& out) {
  prepare_blas();
  int64_t batch = out.size(0), m = out.size(1), n = out.size(2), k = a.size(2);
  Layout la = layout_of(a), lb = layout_of(b);
  const T* a_data = data_of<T>(a);
  const T* b_data = data_of<T>(b);
  T* c_data = data_of<T>(out);
  // BLAS counts in int: a size or stride past it would wrap into a wrong result.
  for (int64_t extent : {m, n, k, la.ld, lb.ld}) {
    EMBER_CHECK(extent <= std::numeric_limits<int>::max(), "matmul", "[", m, ",", k, "] @ [", k,
                ",", n, "] has a size or stride past the 2^31-1 that BLAS counts to");
  }
  // In double: m * n * k can pass int64 even when each fits in an int.
  double flops = static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
  if (batch == 1 && flops >= kSharedPackingFlops) {
    shared_gemm<T>(la, lb, m, n, k, a_data, b_data, c_data);
    return;
  }
  bool by_columns = n > m;
  int64_t extent = by_columns ? n : m;
  int64_t parts = std::min<int64_t>(extent, (omp_get_max_threads() + batch - 1) / batch);
  int64_t part_flops = static_cast<int64_t>(
      std::clamp(flops / static_cast<double>(parts), 1.0, static_cast<double>(kMinParallelFlops)));
  parallel_for(0, batch * parts, std::max<int64_t>(1, kMinParallelFlops / part_flops),
               [&](int64_t begin, int64_t end) {
                 for (int64_t task = begin; task < end; ++task) {
                   int64_t i = task / parts, part = task % parts;
                   int64_t first = extent * part / parts, last = extent * (part + 1) / parts;
                   const T* a_mat = a_data + i * a.stride(0);
                   const T* b_mat = b_data + i * b.stride(0);
                   T* c_mat = c_data + i * m * n;
                   if (by_columns) {
                     gemm<T>(la, lb, m, last - first, k, a_mat, b_mat + first * b.stride(2),
                             c_mat + first, n);
                   } else {
                     gemm<T>(la, lb, last - first, n, k, a_mat + first * a.stride(1), b_mat,
                             c_mat + first * n, n);
                   }
                 }
               });
}

// Integer products wrap around as in PyTorch: unsigned arithmetic keeps that defined.
template <typename T>
void loop_matmul(const Tensor& a, const Tensor& b, const Tensor& out) {
  using U = std::make_unsigned_t<T>;
  int64_t m = out.size(1), n = out.size(2), k = a.size(2);
  const T* a_data = data_of<T>(a);
  const T* b_data = data_of<T>(b);
  T* c_data = data_of<T>(out);
  int64_t grain = std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(1, n * k));
  parallel_for(0, out.size(0) * m, grain, [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      int64_t batch = row / m, i = row % m;
      const T* a_row = a_data + batch * a.stride(0) + i * a.stride(1);
      const T* b_mat = b_data + batch * b.stride(0);
      U* c_row = reinterpret_cast<U*>(c_data + row * n);
      std::fill_n(c_row, n, U(0));
      for (int64_t p = 0; p < k; ++p) {
        U a_value = static_cast<U>(a_row[p * a.stride(2)]);
        const T* b_row = b_mat + p * b.stride(1);
        int64_t b_step = b.stride(2);
        if (b_step == 1) {
          for (int64_t j = 0; j < n; ++j)
            c_row[j] = static_cast<U>(c_row[j] + a_value * U(b_row[j]));
        } else {
          for (int64_t j = 0; j < n; ++j) {
            c_row[j] = static_cast<U>(c_row[j] + a_value * U(b_row[j * b_step]));
          }
        }
      }
    }
  });
}

}  // namespace

void CpuBackend::matmul(const Tensor& a, const Tensor& b, const Tensor& out) {
  if (out.numel() == 0) return;
  if (a.size(2) == 0) {
    fill(out, 0);
    return;
  }
  switch (a.dtype()) {
    case kFloat32:
      return blas_matmul<float>(a, b, out);
    case kFloat64:
      return blas_matmul<double>(a, b, out);
    case kInt32:
      return loop_matmul<int32_t>(a, b, out);
    case kInt64:
      return loop_matmul<int64_t>(a, b, out);
    case kUInt8:
      return loop_matmul<uint8_t>(a, b, out);
    default:
      detail::fail("matmul", "dtype ", a.dtype(), " is not supported");
  }
}

}  // namespace ember::cpu
