// CPU matmul family: float32/float64 through CBLAS, integers through a plain loop, and
// float16/bfloat16 with float32 accumulation: bfloat16 through cblas_sbgemm where the
// BLAS has it, otherwise (and for float16) tiles converted to float32 for sgemm.
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
#include <memory>
#include <mutex>
#include <type_traits>

#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/half.h"
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

// ---- float16 and bfloat16 ----

// Output tiles of kTile x kTile, accumulated over kTile-deep slices of k: each thread's
// float32 buffers (a panel of A, one of B, the C tile) take at most 3 MiB whatever the
// sizes.
constexpr int64_t kTile = 512;

// One matrix of a batch: element (i, j) at data[i * row_stride + j * col_stride].
template <typename T>
struct MatrixView {
  const T* data;
  int64_t row_stride, col_stride;
};

// panel = float32 copy of rows [r0, r0 + rows) x cols [c0, c0 + cols) of m, in m's own
// order (row-major when its columns are contiguous, else column-major) so that runs
// widen as vectors. Returns whether the panel is column-major.
template <typename T>
bool convert_panel(const MatrixView<T>& m, int64_t r0, int64_t rows, int64_t c0, int64_t cols,
                   float* panel) {
  const T* origin = m.data + r0 * m.row_stride + c0 * m.col_stride;
  bool column_major = m.col_stride != 1 && m.row_stride == 1;
  int64_t runs = column_major ? cols : rows, length = column_major ? rows : cols;
  int64_t run_step = column_major ? m.col_stride : m.row_stride;
  int64_t element_step = column_major ? m.row_stride : m.col_stride;
  for (int64_t r = 0; r < runs; ++r) {
    const T* run = origin + r * run_step;
    float* dst = panel + r * length;
    if (element_step == 1) {
      widen(run, dst, length);
    } else {
      for (int64_t e = 0; e < length; ++e) dst[e] = load(run[e * element_step]);
    }
  }
  return column_major;
}

void sgemm_panels(bool a_column_major, bool b_column_major, int64_t m, int64_t n, int64_t k,
                  const float* a, const float* b, float beta, float* c) {
  auto i = [](int64_t v) { return static_cast<int>(v); };
  cblas_sgemm(CblasRowMajor, a_column_major ? CblasTrans : CblasNoTrans,
              b_column_major ? CblasTrans : CblasNoTrans, i(m), i(n), i(k), 1.0f, a,
              i(a_column_major ? m : k), b, i(b_column_major ? k : n), beta, c, i(n));
}

// c_tile = A[rows of the tile, :] @ B[:, cols of the tile], k sliced by kTile.
template <typename T>
void converted_tile(const MatrixView<T>& a, const MatrixView<T>& b, int64_t r0, int64_t rows,
                    int64_t c0, int64_t cols, int64_t k, float* a_panel, float* b_panel,
                    float* c_tile) {
  for (int64_t k0 = 0; k0 < k; k0 += kTile) {
    int64_t depth = std::min(kTile, k - k0);
    bool a_column_major = convert_panel(a, r0, rows, k0, depth, a_panel);
    bool b_column_major = convert_panel(b, k0, depth, c0, cols, b_panel);
    sgemm_panels(a_column_major, b_column_major, rows, cols, depth, a_panel, b_panel,
                 k0 == 0 ? 0.0f : 1.0f, c_tile);
  }
}

#if defined(EMBER_HAVE_SBGEMM)
// c_tile = the bfloat16 product of the tile's rows and columns, straight from the operands.
void sbgemm_tile(const Tensor& a, const Tensor& b, const MatrixView<BFloat16>& a_mat,
                 const MatrixView<BFloat16>& b_mat, int64_t r0, int64_t rows, int64_t c0,
                 int64_t cols, int64_t k, float* c_tile) {
  Layout la = layout_of(a), lb = layout_of(b);
  auto i = [](int64_t v) { return static_cast<int>(v); };
  const auto* a_start = bits_of(a_mat.data + r0 * a_mat.row_stride);
  const auto* b_start = bits_of(b_mat.data + c0 * b_mat.col_stride);
  cblas_sbgemm(CblasRowMajor, blas_op(la), blas_op(lb), i(rows), i(cols), i(k), 1.0f, a_start,
               i(la.ld), b_start, i(lb.ld), 0.0f, c_tile, i(cols));
}
#endif

// Threads take whole output tiles; each rounds its float32 tile into out once.
template <typename T>
void converted_matmul(const Tensor& a, const Tensor& b, const Tensor& out) {
  prepare_blas();
  int64_t batch = out.size(0), m = out.size(1), n = out.size(2), k = a.size(2);
  Layout la = layout_of(a), lb = layout_of(b);
  for (int64_t extent : {m, n, k, la.ld, lb.ld}) {
    EMBER_CHECK(extent <= std::numeric_limits<int>::max(), "matmul", "[", m, ",", k, "] @ [", k,
                ",", n, "] has a size or stride past the 2^31-1 that BLAS counts to");
  }
  int64_t row_tiles = (m + kTile - 1) / kTile, col_tiles = (n + kTile - 1) / kTile;
  int64_t tiles = batch * row_tiles * col_tiles;
  double tile_flops = static_cast<double>(std::min(m, kTile)) *
                      static_cast<double>(std::min(n, kTile)) * static_cast<double>(k);
  int64_t grain = std::max<int64_t>(1, static_cast<int64_t>(kMinParallelFlops / tile_flops));
  const T* a_data = data_of<T>(a);
  const T* b_data = data_of<T>(b);
  T* c_data = data_of<T>(out);
  parallel_for(0, tiles, grain, [&](int64_t begin, int64_t end) {
    int64_t tile_m = std::min(m, kTile), tile_n = std::min(n, kTile), depth = std::min(k, kTile);
    auto buffers = std::make_unique_for_overwrite<float[]>(
        static_cast<size_t>(tile_m * depth + depth * tile_n + tile_m * tile_n));
    float* a_panel = buffers.get();
    float* b_panel = a_panel + tile_m * depth;
    float* c_tile = b_panel + depth * tile_n;
    for (int64_t task = begin; task < end; ++task) {
      int64_t i = task / (row_tiles * col_tiles), tile = task % (row_tiles * col_tiles);
      int64_t r0 = tile / col_tiles * kTile, c0 = tile % col_tiles * kTile;
      int64_t rows = std::min(kTile, m - r0), cols = std::min(kTile, n - c0);
      MatrixView<T> a_mat{a_data + i * a.stride(0), a.stride(1), a.stride(2)};
      MatrixView<T> b_mat{b_data + i * b.stride(0), b.stride(1), b.stride(2)};
#if defined(EMBER_HAVE_SBGEMM)
      if constexpr (std::is_same_v<T, BFloat16>) {
        sbgemm_tile(a, b, a_mat, b_mat, r0, rows, c0, cols, k, c_tile);
      } else {
        converted_tile(a_mat, b_mat, r0, rows, c0, cols, k, a_panel, b_panel, c_tile);
      }
#else
      converted_tile(a_mat, b_mat, r0, rows, c0, cols, k, a_panel, b_panel, c_tile);
#endif
      T* c_mat = c_data + i * m * n;
      for (int64_t r = 0; r < rows; ++r) narrow(c_tile + r * cols, c_mat + (r0 + r) * n + c0, cols);
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
    case kFloat16:
      return converted_matmul<Half>(a, b, out);
    case kBFloat16:
      return converted_matmul<BFloat16>(a, b, out);
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
