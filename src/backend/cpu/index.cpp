// CPU index family: index_select and gather read through an index; scatter_add and
// index_add write through one. Writes are split across threads by the dims that are not
// indexed, so no two threads touch one element and sums keep a fixed order.
//
// float16 and bfloat16: index_add sums every contribution to one destination in float32
// and rounds once; scatter_add rounds after each add, as PyTorch's CPU kernel does.
#include <algorithm>
#include <cstring>
#include <numeric>

#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/half.h"
#include "backend/cpu/loops.h"

namespace ember::cpu {

namespace {

// Rows shorter than this copy faster element by element than through memcpy calls.
constexpr size_t kMinRowBytes = 64;

inline int64_t checked(int64_t index, int64_t size, const char* op, int64_t dim) {
  EMBER_CHECK(index >= 0 && index < size, op, "index ", index, " is out of range for dimension ",
              dim, " with size ", size);
  return index;
}

// The 1-D index as a host vector, every entry checked against size.
std::vector<int64_t> checked_index(const Tensor& index, int64_t size, const char* op, int64_t dim) {
  std::vector<int64_t> values(static_cast<size_t>(index.numel()));
  const int64_t* data = data_of<int64_t>(index);
  for (size_t i = 0; i < values.size(); ++i) {
    values[i] = checked(data[static_cast<int64_t>(i) * index.stride(0)], size, op, dim);
  }
  return values;
}

// t seen with another shape: its own strides except that dim gets stride dim_stride.
Tensor restrided(const Tensor& t, const Shape& shape, int64_t dim, int64_t dim_stride) {
  Shape strides = t.strides();
  strides[dim] = dim_stride;
  return make_view(t, shape, std::move(strides), t.storage_offset());
}

Shape without_dim(Shape shape, int64_t dim) {
  shape[dim] = 1;
  return shape;
}

// Reads move bytes, so one loop per element size serves every dtype.
template <typename F>
void dispatch_by_size(size_t size, const F& f) {
  switch (size) {
    case 1:
      return f(uint8_t{});
    case 2:
      return f(uint16_t{});
    case 4:
      return f(uint32_t{});
    default:
      return f(uint64_t{});
  }
}

template <typename T>
inline void accumulate(T& dst, T value) {
  if constexpr (std::is_same_v<T, bool>) {
    dst = dst || value;
  } else if constexpr (is_16bit_float_v<T>) {
    dst = store<T>(load(dst) + load(value));
  } else {
    dst = static_cast<T>(dst + value);
  }
}

// out[e] = x[e with coordinate dim replaced by index[e]]: operands are out, x with a zero
// stride for dim, and the index broadcast to out's shape.
void gather_kernel(const Tensor& x, int64_t dim, const Tensor& index_view, const Tensor& out,
                   const char* op) {
  Tensor x_view = restrided(x, out.shape(), dim, 0);
  StridedLoop<3> loop(out.shape(), {&out, &x_view, &index_view});
  int64_t size = x.size(dim);
  int64_t step = x.stride(dim) * static_cast<int64_t>(itemsize(x.dtype()));
  dispatch_by_size(itemsize(x.dtype()), [&](auto tag) {
    using T = decltype(tag);
    loop.run(kElementwiseGrain, [&](const std::array<char*, 3>& p, const std::array<int64_t, 3>& s,
                                    int64_t n) {
      for (int64_t i = 0; i < n; ++i) {
        int64_t at = checked(*reinterpret_cast<const int64_t*>(p[2] + i * s[2]), size, op, dim);
        *reinterpret_cast<T*>(p[0] + i * s[0]) =
            *reinterpret_cast<const T*>(p[1] + i * s[1] + at * step);
      }
    });
  });
}

// Contiguous x: whole runs of the dims after dim are copied at once.
void index_select_rows(const Tensor& x, int64_t dim, const std::vector<int64_t>& index,
                       const Tensor& out) {
  int64_t inner = 1, outer = 1;
  for (int64_t d = dim + 1; d < x.dim(); ++d) inner *= x.size(d);
  for (int64_t d = 0; d < dim; ++d) outer *= x.size(d);
  int64_t count = static_cast<int64_t>(index.size()), size = x.size(dim);
  size_t row_bytes = static_cast<size_t>(inner) * itemsize(x.dtype());
  const char* from = static_cast<const char*>(x.impl()->data());
  char* to = static_cast<char*>(out.impl()->data());
  parallel_for(0, outer * count, std::max<int64_t>(1, kElementwiseGrain / inner),
               [&](int64_t begin, int64_t end) {
                 for (int64_t row = begin; row < end; ++row) {
                   int64_t o = row / count, source = o * size + index[row % count];
                   std::memcpy(to + row * row_bytes, from + source * row_bytes, row_bytes);
                 }
               });
}

// index_add for 16-bit out: positions grouped by target (in index order within a group),
// each group summed in float32 blocks and rounded once.
template <typename T>
void index_add_16bit(const StridedLoop<2>& loop, const std::vector<int64_t>& targets,
                     int64_t out_step, int64_t src_step) {
  std::vector<int64_t> order(targets.size());
  std::iota(order.begin(), order.end(), int64_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t i, int64_t j) { return targets[i] < targets[j]; });
  int64_t count = static_cast<int64_t>(order.size());
  loop.run(std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(count, 1)),
           [&](const std::array<char*, 2>& p, const std::array<int64_t, 2>& s, int64_t n) {
             float acc[kConvertBlock];
             for (int64_t first = 0; first < count;) {
               int64_t target = targets[order[first]], last = first;
               while (last < count && targets[order[last]] == target) ++last;
               char* to = p[0] + target * out_step;
               for (int64_t done = 0; done < n; done += kConvertBlock) {
                 int64_t len = std::min(kConvertBlock, n - done);
                 for (int64_t i = 0; i < len; ++i) {
                   acc[i] = load(*reinterpret_cast<const T*>(to + (done + i) * s[0]));
                 }
                 for (int64_t g = first; g < last; ++g) {
                   const char* from = p[1] + order[g] * src_step + done * s[1];
                   for (int64_t i = 0; i < len; ++i) {
                     acc[i] += load(*reinterpret_cast<const T*>(from + i * s[1]));
                   }
                 }
                 for (int64_t i = 0; i < len; ++i) {
                   *reinterpret_cast<T*>(to + (done + i) * s[0]) = store<T>(acc[i]);
                 }
               }
               first = last;
             }
           });
}

}  // namespace

void CpuBackend::index_select(const Tensor& x, int64_t dim, const Tensor& index,
                              const Tensor& out) {
  std::vector<int64_t> checked_values = checked_index(index, x.size(dim), "index_select", dim);
  size_t row_bytes = itemsize(x.dtype());
  for (int64_t d = dim + 1; d < x.dim(); ++d) row_bytes *= static_cast<size_t>(x.size(d));
  if (x.is_contiguous() && row_bytes >= kMinRowBytes) {
    index_select_rows(x, dim, checked_values, out);
    return;
  }
  Shape strides(out.shape().size(), 0);
  strides[dim] = index.stride(0);
  Tensor index_view = make_view(index, out.shape(), std::move(strides), index.storage_offset());
  gather_kernel(x, dim, index_view, out, "index_select");
}

void CpuBackend::gather(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& out) {
  gather_kernel(x, dim, index, out, "gather");
}

void CpuBackend::scatter_add(const Tensor& out, int64_t dim, const Tensor& index,
                             const Tensor& src) {
  Shape rest = without_dim(index.shape(), dim);
  Tensor out_view = restrided(out, rest, dim, 0);
  Tensor src_view = restrided(src, rest, dim, 0);
  Tensor index_view = restrided(index, rest, dim, 0);
  StridedLoop<3> loop(rest, {&out_view, &src_view, &index_view});
  int64_t count = index.size(dim), size = out.size(dim);
  EMBER_DISPATCH_COMPUTE_AND_16BIT(out.dtype(), "scatter_add", [&] {
    int64_t out_step = out.stride(dim) * static_cast<int64_t>(sizeof(T));
    int64_t src_step = src.stride(dim) * static_cast<int64_t>(sizeof(T));
    int64_t index_step = index.stride(dim) * static_cast<int64_t>(sizeof(int64_t));
    loop.run(std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(count, 1)),
             [&](const std::array<char*, 3>& p, const std::array<int64_t, 3>& s, int64_t n) {
               for (int64_t j = 0; j < count; ++j) {
                 for (int64_t i = 0; i < n; ++i) {
                   int64_t at =
                       checked(*reinterpret_cast<const int64_t*>(p[2] + i * s[2] + j * index_step),
                               size, "scatter_add", dim);
                   accumulate(*reinterpret_cast<T*>(p[0] + i * s[0] + at * out_step),
                              *reinterpret_cast<const T*>(p[1] + i * s[1] + j * src_step));
                 }
               }
             });
  });
}

void CpuBackend::index_add(const Tensor& out, int64_t dim, const Tensor& index, const Tensor& src) {
  std::vector<int64_t> targets = checked_index(index, out.size(dim), "index_add", dim);
  Shape rest = without_dim(src.shape(), dim);
  Tensor out_view = restrided(out, rest, dim, 0);
  Tensor src_view = restrided(src, rest, dim, 0);
  StridedLoop<2> loop(rest, {&out_view, &src_view});
  int64_t count = static_cast<int64_t>(targets.size());
  EMBER_DISPATCH_COMPUTE_AND_16BIT(out.dtype(), "index_add", [&] {
    int64_t out_step = out.stride(dim) * static_cast<int64_t>(sizeof(T));
    int64_t src_step = src.stride(dim) * static_cast<int64_t>(sizeof(T));
    if constexpr (is_16bit_float_v<T>) {
      return index_add_16bit<T>(loop, targets, out_step, src_step);
    }
    loop.run(std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(count, 1)),
             [&](const std::array<char*, 2>& p, const std::array<int64_t, 2>& s, int64_t n) {
               for (int64_t j = 0; j < count; ++j) {
                 char* to = p[0] + targets[j] * out_step;
                 const char* from = p[1] + j * src_step;
                 if (s[0] == sizeof(T) && s[1] == sizeof(T)) {
                   T* dst = reinterpret_cast<T*>(to);
                   const T* add = reinterpret_cast<const T*>(from);
                   for (int64_t i = 0; i < n; ++i) accumulate(dst[i], add[i]);
                   continue;
                 }
                 for (int64_t i = 0; i < n; ++i) {
                   accumulate(*reinterpret_cast<T*>(to + i * s[0]),
                              *reinterpret_cast<const T*>(from + i * s[1]));
                 }
               }
             });
  });
}

}  // namespace ember::cpu
