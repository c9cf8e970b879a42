// CPU reductions, cumulative sums and softmax.
//
// Determinism: every result is computed in an order fixed by the shape alone. Long rows
// are cut into kChunk-element chunks whose partial results are combined by a fixed
// tree; threads only decide who computes which chunk, never how results combine.
// float16 and bfloat16 accumulate in float32 in the same order and round once on store.
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/half.h"
#include "backend/cpu/loops.h"
#include "backend/cpu/simd.h"
#include "backend/cpu/vec_math.h"
#include "core/packing.h"

namespace ember::cpu {

namespace {

// 32 independent accumulators keep four AVX (eight SSE) add chains in flight. Lanes
// combine by a fixed tree, so the result does not depend on the vector width.
constexpr int64_t kLanes = 32;
constexpr int64_t kChunk = 8192;       // elements per partial result of a long row
constexpr int64_t kColumnBlock = 64;   // columns accumulated together
constexpr int64_t kPairwiseLeaf = 16;  // rows summed in sequence before pairwise combination
constexpr int64_t kReduceGrain = 32768;

// ---- combining functions ----

template <typename T>
struct SumOp {
  static T identity() { return T(0); }
  static T combine(T a, T b) { return static_cast<T>(a + b); }
};
template <typename T>
struct ProdOp {
  static T identity() { return T(1); }
  static T combine(T a, T b) { return static_cast<T>(a * b); }
};
// Max and Min propagate NaN, as PyTorch's.
template <typename T>
struct MaxOp {
  static T identity() {
    if constexpr (std::is_floating_point_v<T>) return -std::numeric_limits<T>::infinity();
    return std::numeric_limits<T>::lowest();
  }
  static T combine(T a, T b) { return ((b > a) | (b != b)) ? b : a; }
};
template <typename T>
struct MinOp {
  static T identity() {
    if constexpr (std::is_floating_point_v<T>) return std::numeric_limits<T>::infinity();
    return std::numeric_limits<T>::max();
  }
  static T combine(T a, T b) { return ((b < a) | (b != b)) ? b : a; }
};
struct AllOp {  // on bools stored as bytes 0 and 1
  static uint8_t identity() { return 1; }
  static uint8_t combine(uint8_t a, uint8_t b) { return a & b; }
};
struct AnyOp {
  static uint8_t identity() { return 0; }
  static uint8_t combine(uint8_t a, uint8_t b) { return a | b; }
};

// ---- layouts ----

// A run of dims of one kind (reduced or kept) that walks memory with one stride.
struct Segment {
  int64_t size;
  int64_t stride;
  bool reduced;
};

// x's dims without size-1 dims, neighbours of one kind merged where the strides allow.
std::vector<Segment> segments_of(const Tensor& x, const std::vector<int64_t>& dims) {
  std::vector<Segment> segments;
  size_t next = 0;
  for (int64_t d = 0; d < x.dim(); ++d) {
    bool reduced = next < dims.size() && dims[next] == d;
    if (reduced) ++next;
    int64_t size = x.size(d), stride = x.stride(d);
    if (size == 1) continue;
    Segment* last = segments.empty() ? nullptr : &segments.back();
    if (last && last->reduced == reduced && last->stride == stride * size) {
      last->size *= size;
      last->stride = stride;
    } else {
      segments.push_back({size, stride, reduced});
    }
  }
  return segments;
}

// Element offsets of the i-th combination of the kept (outer) segments, row-major.
class OuterIndex {
 public:
  explicit OuterIndex(const std::vector<Segment>& segments) {
    for (const Segment& s : segments) {
      EMBER_CHECK(ndim_ < kMaxLoopDims, "reduce", "too many non-mergeable dims");
      sizes_[ndim_] = s.size;
      strides_[ndim_] = s.stride;
      total_ *= s.size;
      ++ndim_;
    }
  }
  int64_t count() const { return total_; }
  int64_t offset(int64_t i) const {
    int64_t offset = 0;
    for (int d = ndim_ - 1; d >= 0; --d) {
      offset += (i % sizes_[d]) * strides_[d];
      i /= sizes_[d];
    }
    return offset;
  }

 private:
  std::array<int64_t, kMaxLoopDims> sizes_{};
  std::array<int64_t, kMaxLoopDims> strides_{};
  int ndim_ = 0;
  int64_t total_ = 1;
};

// Reductions run either over contiguous rows (the reduced elements of one output are
// n consecutive elements) or over columns (rows of `inner` contiguous outputs are
// combined across n rows `stride` apart).
struct Plan {
  OuterIndex outer;
  int64_t n;
  int64_t stride;
  int64_t inner;  // 0 for a row reduction
};

// ---- row reductions ----

// Op combines compute_t<S> values; x holds S.
template <typename Op, typename S>
compute_t<S> reduce_run(const S* x, int64_t n) {
  compute_t<S> acc[kLanes];
  for (auto& a : acc) a = Op::identity();
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int64_t j = 0; j < kLanes; ++j) acc[j] = Op::combine(acc[j], load(x[i + j]));
  }
  for (int64_t j = 0; i + j < n; ++j) acc[j] = Op::combine(acc[j], load(x[i + j]));
  for (int64_t width = kLanes / 2; width > 0; width /= 2) {
    for (int64_t j = 0; j < width; ++j) acc[j] = Op::combine(acc[j], acc[j + width]);
  }
  return acc[0];
}

template <typename Combine, typename V>
V combine_tree(const V* values, int64_t count, const Combine& combine) {
  if (count == 1) return values[0];
  int64_t half = (count + 1) / 2;
  return combine(combine_tree(values, half, combine),
                 combine_tree(values + half, count - half, combine));
}

// Calls out_at(row, result) for each row; chunk(x, n) reduces one contiguous chunk and
// combine joins two partial results.
template <typename V, typename T, typename Chunk, typename Combine, typename Store>
void reduce_rows(const T* x, const Plan& plan, const Chunk& chunk, const Combine& combine,
                 const Store& store) {
  int64_t rows = plan.outer.count(), n = plan.n;
  int64_t chunks = (n + kChunk - 1) / kChunk;
  if (chunks == 1) {
    parallel_for(0, rows, std::max<int64_t>(1, kReduceGrain / n), [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r) store(r, chunk(x + plan.outer.offset(r), n, 0));
    });
    return;
  }
  std::vector<V> partial(static_cast<size_t>(rows * chunks));
  parallel_for(0, rows * chunks, kReduceGrain / kChunk, [&](int64_t b, int64_t e) {
    for (int64_t item = b; item < e; ++item) {
      int64_t r = item / chunks, start = item % chunks * kChunk;
      partial[item] = chunk(x + plan.outer.offset(r) + start, std::min(kChunk, n - start), start);
    }
  });
  for (int64_t r = 0; r < rows; ++r) store(r, combine_tree(&partial[r * chunks], chunks, combine));
}

// ---- column reductions ----

template <typename Op, typename S>
void reduce_column_block(const S* x, int64_t rows, int64_t stride, int64_t width,
                         compute_t<S>* acc) {
  if (rows <= kPairwiseLeaf) {
    for (int64_t j = 0; j < width; ++j) acc[j] = load(x[j]);
    for (int64_t r = 1; r < rows; ++r) {
      const S* row = x + r * stride;
      for (int64_t j = 0; j < width; ++j) acc[j] = Op::combine(acc[j], load(row[j]));
    }
    return;
  }
  int64_t half = rows / 2;
  compute_t<S> right[kColumnBlock];
  reduce_column_block<Op>(x, half, stride, width, acc);
  reduce_column_block<Op>(x + half * stride, rows - half, stride, width, right);
  for (int64_t j = 0; j < width; ++j) acc[j] = Op::combine(acc[j], right[j]);
}

// out = finish(result), rounded to S once.
template <typename Op, typename S, typename Finish>
void reduce_columns(const S* x, const Plan& plan, S* out, const Finish& finish) {
  int64_t blocks = (plan.inner + kColumnBlock - 1) / kColumnBlock;
  int64_t grain = std::max<int64_t>(1, kReduceGrain / (plan.n * kColumnBlock));
  parallel_for(0, plan.outer.count() * blocks, grain, [&](int64_t b, int64_t e) {
    compute_t<S> acc[kColumnBlock];
    for (int64_t item = b; item < e; ++item) {
      int64_t o = item / blocks, start = item % blocks * kColumnBlock;
      int64_t width = std::min(kColumnBlock, plan.inner - start);
      reduce_column_block<Op>(x + plan.outer.offset(o) + start, plan.n, plan.stride, width, acc);
      S* dst = out + o * plan.inner + start;
      for (int64_t j = 0; j < width; ++j) dst[j] = store<S>(finish(acc[j]));
    }
  });
}

template <typename Op, typename S, typename Finish>
void reduce_with(const S* x, const Plan& plan, S* out, const Finish& finish) {
  using C = compute_t<S>;
  if (plan.inner > 0) {
    reduce_columns<Op>(x, plan, out, finish);
    return;
  }
  reduce_rows<C>(
      x, plan, [](const S* p, int64_t n, int64_t) { return reduce_run<Op>(p, n); },
      [](C a, C b) { return Op::combine(a, b); },
      [out, &finish](int64_t r, C v) { out[r] = store<S>(finish(v)); });
}

template <typename Op, typename S>
void reduce_with(const S* x, const Plan& plan, S* out) {
  reduce_with<Op>(x, plan, out, [](compute_t<S> v) { return v; });
}

// ---- argmax and argmin: the first extreme, NaN counting as the extreme ----

template <bool kMax, typename T>
bool better(T candidate, T best) {
  if constexpr (std::is_floating_point_v<T>) {
    if (best != best) return false;
    if (candidate != candidate) return true;
  }
  return kMax ? candidate > best : candidate < best;
}

template <bool kMax, typename S>
void arg_reduce(const S* x, const Plan& plan, int64_t* out) {
  using Best = std::pair<compute_t<S>, int64_t>;
  auto scan = [](const S* p, int64_t n, int64_t start) {
    Best best{load(p[0]), 0};
    for (int64_t i = 1; i < n; ++i) {
      auto value = load(p[i]);
      if (better<kMax>(value, best.first)) best = {value, i};
    }
    best.second += start;
    return best;
  };
  auto combine = [](const Best& a, const Best& b) {
    return better<kMax>(b.first, a.first) ? b : a;
  };
  reduce_rows<Best>(x, plan, scan, combine, [out](int64_t r, const Best& v) { out[r] = v.second; });
}

// Calls f(T{}) with the arithmetic type that holds dtype; bool is handled as bytes.
template <typename F>
void dispatch_numeric(DType dtype, const char* op, const F& f) {
  switch (dtype) {
    case kFloat32:
      return f(float{});
    case kFloat64:
      return f(double{});
    case kFloat16:
      return f(Half{});
    case kBFloat16:
      return f(BFloat16{});
    case kInt32:
      return f(int32_t{});
    case kInt64:
      return f(int64_t{});
    case kUInt8:
    case kBool:
      return f(uint8_t{});
    default:
      detail::fail(op, "dtype ", dtype, " is not supported here");
  }
}

template <typename T>
void reduce_typed(ReduceOp op, const T* x, const Plan& plan, int64_t count, const Tensor& out) {
  using C = compute_t<T>;
  auto* o = static_cast<T*>(out.impl()->data());
  switch (op) {
    case ReduceOp::Sum:
      return reduce_with<SumOp<C>>(x, plan, o);
    case ReduceOp::Mean:
      return reduce_with<SumOp<C>>(
          x, plan, o, [count](C sum) { return static_cast<C>(sum / static_cast<C>(count)); });
    case ReduceOp::Prod:
      return reduce_with<ProdOp<C>>(x, plan, o);
    case ReduceOp::Max:
      return reduce_with<MaxOp<C>>(x, plan, o);
    case ReduceOp::Min:
      return reduce_with<MinOp<C>>(x, plan, o);
    case ReduceOp::ArgMax:
      return arg_reduce<true>(x, plan, data_of<int64_t>(out));
    case ReduceOp::ArgMin:
      return arg_reduce<false>(x, plan, data_of<int64_t>(out));
    case ReduceOp::All:
    case ReduceOp::Any:
      if constexpr (std::is_same_v<T, uint8_t>) {
        return op == ReduceOp::All ? reduce_with<AllOp>(x, plan, o)
                                   : reduce_with<AnyOp>(x, plan, o);
      }
      detail::fail("reduce", "all and any expect bool input");
  }
}

}  // namespace

void CpuBackend::reduce(ReduceOp op, const Tensor& x, const std::vector<int64_t>& dims,
                        const Tensor& out) {
  if (out.numel() == 0) return;
  if (x.numel() == 0) {
    fill(out, empty_reduction_result(op));
    return;
  }
  std::vector<Segment> kept, reduced;
  for (const Segment& s : segments_of(x, dims)) (s.reduced ? reduced : kept).push_back(s);
  if (reduced.empty()) {  // every reduced dim has size 1
    if (is_arg_reduction(op)) return fill(out, 0);
    return copy(x, out);
  }
  // Rows: each output reduces one contiguous run. Columns: the innermost kept dim is
  // contiguous, so neighbouring outputs are accumulated together.
  bool rows = reduced.size() == 1 && reduced[0].stride == 1;
  bool columns =
      reduced.size() == 1 && !is_arg_reduction(op) && !kept.empty() && kept.back().stride == 1;
  if (!rows && !columns) {
    Tensor packed = kept_then_reduced(x, dims, *this);
    std::vector<int64_t> last_dims;
    for (size_t k = 0; k < dims.size(); ++k) {
      last_dims.push_back(x.dim() - static_cast<int64_t>(dims.size() - k));
    }
    return reduce(op, packed, last_dims, out);
  }
  int64_t inner = 0;
  if (!rows) {
    inner = kept.back().size;
    kept.pop_back();
  }
  Plan plan{OuterIndex(kept), reduced[0].size, reduced[0].stride, inner};
  int64_t reduced_count = x.numel() / out.numel();
  dispatch_numeric(x.dtype(), "reduce", [&](auto tag) {
    using T = decltype(tag);
    reduce_typed<T>(op, static_cast<const T*>(x.impl()->data()), plan, reduced_count, out);
  });
}

// ---- cumsum ----

namespace {

// Floats accumulate in double, as PyTorch's CPU cumsum does, so long rows stay accurate;
// float16 and bfloat16 in float32, as PyTorch's accumulate type for them.
template <typename T>
using CumAcc = std::conditional_t<is_16bit_float_v<T>, float,
                                  std::conditional_t<std::is_floating_point_v<T>, double, T>>;

template <typename T>
void cumsum_typed(const T* x, const AroundDim& s, T* out) {
  using Acc = CumAcc<T>;
  int64_t blocks = (s.inner + kColumnBlock - 1) / kColumnBlock;
  int64_t grain = std::max<int64_t>(1, kReduceGrain / (s.n * std::min(kColumnBlock, s.inner)));
  parallel_for(0, s.outer * blocks, grain, [&](int64_t b, int64_t e) {
    for (int64_t item = b; item < e; ++item) {
      int64_t o = item / blocks, start = item % blocks * kColumnBlock;
      int64_t width = std::min(kColumnBlock, s.inner - start);
      const T* src = x + o * s.n * s.inner + start;
      T* dst = out + o * s.n * s.inner + start;
      Acc acc[kColumnBlock] = {};
      for (int64_t k = 0; k < s.n; ++k) {
        for (int64_t j = 0; j < width; ++j) {
          acc[j] += load(src[k * s.inner + j]);
          dst[k * s.inner + j] = store<T>(acc[j]);
        }
      }
    }
  });
}

}  // namespace

void CpuBackend::cumsum(const Tensor& x, int64_t dim, const Tensor& out) {
  if (x.numel() == 0) return;
  Tensor src = contiguous_copy(x, *this);
  AroundDim s(x.shape(), dim);
  EMBER_CHECK(x.dtype() != kBool, "cumsum", "bool input must be converted to int64 first");
  dispatch_numeric(x.dtype(), "cumsum", [&](auto tag) {
    using T = decltype(tag);
    cumsum_typed<T>(data_of<T>(src), s, data_of<T>(out));
  });
}

// ---- softmax ----

namespace {

template <typename T>
T row_max(const T* x, int64_t n) {
  return reduce_run<MaxOp<T>>(x, n);
}

template <typename T>
T exp_and_sum(const T* x, T shift, int64_t n, T* y) {
  T sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += y[i] = std::exp(x[i] - shift);
  return sum;
}

inline float exp_of(float x) { return exp_f32(x); }
inline double exp_of(double x) { return std::exp(x); }

template <typename T>
void softmax_row(const T* x, int64_t n, bool log, T* y) {
  T max = row_max(x, n);
  T sum = exp_and_sum(x, max, n, y);
  if (log) {
    T log_sum = std::log(sum);
    for (int64_t i = 0; i < n; ++i) y[i] = (x[i] - max) - log_sum;
  } else {
    T scale = T(1) / sum;
    for (int64_t i = 0; i < n; ++i) y[i] *= scale;
  }
}

// The float32 row in four vectorised passes (max, exp, sum, scale), built twice like
// simd.h's loops so that every pass runs eight lanes wide where AVX2 is present.
#define EMBER_SOFTMAX_ROW_BODY                                     \
  float max = reduce_run<MaxOp<float>>(x, n);                      \
  for (int64_t i = 0; i < n; ++i) y[i] = exp_f32(x[i] - max);      \
  float sum = reduce_run<SumOp<float>>(y, n);                      \
  if (log) {                                                       \
    float log_sum = std::log(sum);                                 \
    for (int64_t i = 0; i < n; ++i) y[i] = (x[i] - max) - log_sum; \
  } else {                                                         \
    float scale = 1.0f / sum;                                      \
    for (int64_t i = 0; i < n; ++i) y[i] *= scale;                 \
  }

void softmax_row_default(const float* __restrict x, int64_t n, bool log,
                         float* __restrict y){EMBER_SOFTMAX_ROW_BODY}
#if defined(__x86_64__)
EMBER_AVX2
    void softmax_row_avx2(const float* __restrict x, int64_t n, bool log, float* __restrict y) {
  EMBER_SOFTMAX_ROW_BODY
}
#endif

template <>
void softmax_row<float>(const float* x, int64_t n, bool log, float* y) {
#if defined(__x86_64__)
  if (has_avx2()) return softmax_row_avx2(x, n, log, y);
#endif
  softmax_row_default(x, n, log, y);
}

// Softmax over n rows `inner` apart, for `width` neighbouring columns at once.
template <typename T>
void softmax_columns(const T* x, int64_t n, int64_t inner, int64_t width, bool log, T* y) {
  T max[kColumnBlock], sum[kColumnBlock];
  for (int64_t j = 0; j < width; ++j) max[j] = x[j], sum[j] = 0;
  for (int64_t k = 1; k < n; ++k) {
    for (int64_t j = 0; j < width; ++j) max[j] = MaxOp<T>::combine(max[j], x[k * inner + j]);
  }
  for (int64_t k = 0; k < n; ++k) {
    for (int64_t j = 0; j < width; ++j) {
      T e = exp_of(x[k * inner + j] - max[j]);
      y[k * inner + j] = e;
      sum[j] += e;
    }
  }
  for (int64_t j = 0; j < width; ++j) {
    sum[j] = log ? std::log(sum[j]) : T(1) / sum[j];
  }
  for (int64_t k = 0; k < n; ++k) {
    for (int64_t j = 0; j < width; ++j) {
      T& v = y[k * inner + j];
      v = log ? (x[k * inner + j] - max[j]) - sum[j] : v * sum[j];
    }
  }
}

// Calls columns(offset, width) for every block of at most kColumnBlock neighbouring
// columns of a softmax over a dim with inner > 1, in parallel.
template <typename Columns>
void for_each_column_block(const AroundDim& s, const Columns& columns) {
  int64_t blocks = (s.inner + kColumnBlock - 1) / kColumnBlock;
  int64_t grain = std::max<int64_t>(1, kReduceGrain / 4 / (s.n * std::min(kColumnBlock, s.inner)));
  parallel_for(0, s.outer * blocks, grain, [&](int64_t b, int64_t e) {
    for (int64_t item = b; item < e; ++item) {
      int64_t o = item / blocks, start = item % blocks * kColumnBlock;
      columns(o * s.n * s.inner + start, std::min(kColumnBlock, s.inner - start));
    }
  });
}

template <typename T>
void softmax_typed(const T* x, const AroundDim& s, bool log, T* y) {
  if (s.inner == 1) {
    parallel_for(0, s.outer, std::max<int64_t>(1, kReduceGrain / 4 / s.n),
                 [&](int64_t b, int64_t e) {
                   for (int64_t r = b; r < e; ++r) softmax_row(x + r * s.n, s.n, log, y + r * s.n);
                 });
    return;
  }
  for_each_column_block(s, [&](int64_t offset, int64_t width) {
    softmax_columns(x + offset, s.n, s.inner, width, log, y + offset);
  });
}

// 16-bit rows go through float32 copies of one row at a time, so that the vectorised
// float32 row is reused and each output is rounded once.
template <typename S>
void softmax_rows_16bit(const S* x, const AroundDim& s, bool log, S* y) {
  parallel_for(0, s.outer, std::max<int64_t>(1, kReduceGrain / 4 / s.n), [&](int64_t b, int64_t e) {
    std::vector<float> row(static_cast<size_t>(2 * s.n));
    float* in = row.data();
    float* result = in + s.n;
    for (int64_t r = b; r < e; ++r) {
      widen(x + r * s.n, in, s.n);
      softmax_row(in, s.n, log, result);
      narrow(result, y + r * s.n, s.n);
    }
  });
}

// Softmax over n 16-bit rows `inner` apart for `width` columns: the exponentials are
// computed again in the last pass rather than stored rounded.
template <typename S>
void softmax_columns_16bit(const S* x, int64_t n, int64_t inner, int64_t width, bool log, S* y) {
  float max[kColumnBlock], sum[kColumnBlock];
  for (int64_t j = 0; j < width; ++j) max[j] = load(x[j]), sum[j] = 0;
  for (int64_t k = 1; k < n; ++k) {
    for (int64_t j = 0; j < width; ++j) {
      max[j] = MaxOp<float>::combine(max[j], load(x[k * inner + j]));
    }
  }
  for (int64_t k = 0; k < n; ++k) {
    for (int64_t j = 0; j < width; ++j) sum[j] += exp_f32(load(x[k * inner + j]) - max[j]);
  }
  for (int64_t j = 0; j < width; ++j) sum[j] = log ? std::log(sum[j]) : 1.0f / sum[j];
  for (int64_t k = 0; k < n; ++k) {
    for (int64_t j = 0; j < width; ++j) {
      float shifted = load(x[k * inner + j]) - max[j];
      y[k * inner + j] = store<S>(log ? shifted - sum[j] : exp_f32(shifted) * sum[j]);
    }
  }
}

template <typename S>
void softmax_16bit(const S* x, const AroundDim& s, bool log, S* y) {
  if (s.inner == 1) return softmax_rows_16bit(x, s, log, y);
  for_each_column_block(s, [&](int64_t offset, int64_t width) {
    softmax_columns_16bit(x + offset, s.n, s.inner, width, log, y + offset);
  });
}

}  // namespace

void CpuBackend::softmax(const Tensor& x, int64_t dim, bool log, const Tensor& out) {
  if (x.numel() == 0) return;
  Tensor src = contiguous_copy(x, *this);
  AroundDim s(x.shape(), dim);
  EMBER_DISPATCH_FLOATING_AND_16BIT(x.dtype(), log ? "log_softmax" : "softmax", [&] {
    if constexpr (is_16bit_float_v<T>) {
      softmax_16bit<T>(data_of<T>(src), s, log, data_of<T>(out));
    } else {
      softmax_typed<T>(data_of<T>(src), s, log, data_of<T>(out));
    }
  });
}

}  // namespace ember::cpu
