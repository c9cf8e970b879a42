// Vulkan reduction family: reduce, cumsum and softmax (shaders/reduce.comp, cumsum.comp,
// softmax.comp). Inputs are first brought to a contiguous [outer, R, inner] form.
#include <algorithm>
#include <array>
#include <cmath>

#include "backend/vulkan/kernels.h"

namespace ember::vulkan {

namespace {

// Columns walk R one element at a time; with few columns and a long R, packing the
// reduced dims last and reducing rows with whole workgroups is faster.
constexpr uint32_t kFewColumns = 4096;
constexpr uint32_t kLongReduction = 4096;
// A workgroup reduces at most this many elements of a row; longer rows take a second
// launch over the partial results.
constexpr uint32_t kRowChunk = 64 * kWorkgroup;

// The dtype partial results keep between the two launches of a split row.
DType partial_dtype(ReduceOp op, DType dtype) {
  if (op == ReduceOp::All || op == ReduceOp::Any) return kBool;
  return is_floating_point(dtype) ? kFloat32 : kInt64;
}

// reduce.comp with the workgroup reduction the device can run.
ShaderId reduce_shader(const VulkanBackend& backend) {
  return pick(shaders::reduce, backend.context().features());
}

// Specialization constants of reduce.comp: workgroup size, op, dtypes, scheme.
std::array<uint32_t, 5> reduce_constants(ReduceOp op, const Tensor& src, const Tensor& out,
                                         bool columns) {
  return {kWorkgroup, static_cast<uint32_t>(op), static_cast<uint32_t>(src.dtype()),
          static_cast<uint32_t>(out.dtype()), columns ? 1u : 0u};
}

// Reduces the rows of contiguous src [outer, count] into out [outer].
void reduce_rows(VulkanBackend& backend, ReduceOp op, const Tensor& src, uint32_t outer,
                 uint32_t count, float divisor, const Tensor& out) {
  ReducePush push{outer,
                  count,
                  1,
                  static_cast<uint32_t>(src.storage_offset()),
                  static_cast<uint32_t>(out.storage_offset()),
                  count,
                  1,
                  divisor};
  if (count > kRowChunk && !is_arg_reduction(op)) {
    uint32_t chunks = (count + kRowChunk - 1) / kRowChunk;
    Tensor partial = make_tensor({int64_t{outer} * chunks}, partial_dtype(op, src.dtype()),
                                 backend.device(), reduce_op_name(op));
    ReduceOp first = op == ReduceOp::Mean ? ReduceOp::Sum : op;
    push.out_offset = 0;
    push.chunk = kRowChunk;
    push.chunks = chunks;
    backend.launch(reduce_shader(backend), reduce_constants(first, src, partial, false),
                   {writes(partial), reads(src)}, &push, sizeof push,
                   groups_for(uint64_t{outer} * chunks, 1));
    return reduce_rows(backend, op, partial, outer, chunks, divisor, out);
  }
  backend.launch(reduce_shader(backend), reduce_constants(op, src, out, false),
                 {writes(out), reads(src)}, &push, sizeof push, groups_for(outer, 1));
}

}  // namespace

void VulkanBackend::reduce(ReduceOp op, const Tensor& x, const std::vector<int64_t>& dims,
                           const Tensor& out) {
  // Arg reductions are not split over launches; rows this long run on the CPU.
  bool long_arg = is_arg_reduction(op) && x.numel() / std::max<int64_t>(out.numel(), 1) >
                                              int64_t{kMaxLoopIterations} * kWorkgroup;
  if (any_float64({&x}) || long_arg) {
    return fallback("reduce", {out, x}, 1, [=](Backend& cpu, const std::vector<Tensor>& h) {
      cpu.reduce(op, h[1], dims, h[0]);
    });
  }
  if (out.numel() == 0) return;
  if (x.numel() == 0) return fill(out, empty_reduction_result(op));
  std::vector<bool> reduced(x.dim(), false);
  for (int64_t d : dims) reduced[d] = true;
  // Dims of size 1 never matter; the others must be kept, reduced..., kept for the
  // [outer, R, inner] form without a copy.
  int64_t first = -1, last = -1, runs = 0;
  bool previous = false;
  for (int64_t d = 0; d < x.dim(); ++d) {
    if (x.shape()[d] == 1) continue;
    if (reduced[d]) {
      if (first < 0) first = d;
      last = d;
      if (!previous) ++runs;
    }
    previous = reduced[d];
  }
  bool block = runs == 1;
  if (first < 0) {  // every reduced dim has size 1
    if (is_arg_reduction(op)) return fill(out, 0);
    return copy(x, out);
  }
  uint32_t outer = 1, count = 1, inner = 1;
  for (int64_t d = 0; d < x.dim(); ++d) {
    uint32_t size = static_cast<uint32_t>(x.shape()[d]);
    (d < first ? outer : d <= last ? count : inner) *= size;
  }
  Tensor src = x;
  bool pack = !x.is_contiguous() || !block ||
              (inner > 1 && ((outer * inner < kFewColumns && count >= kLongReduction) ||
                             count > kMaxLoopIterations));
  if (pack) {
    src = kept_then_reduced(x, dims, *this);
    outer = static_cast<uint32_t>(out.numel());
    count = static_cast<uint32_t>(x.numel() / out.numel());
    inner = 1;
  }
  float divisor = static_cast<float>(count);
  if (inner == 1) return reduce_rows(*this, op, src, outer, count, divisor, out);
  ReducePush push{outer,
                  count,
                  inner,
                  static_cast<uint32_t>(src.storage_offset()),
                  static_cast<uint32_t>(out.storage_offset()),
                  count,
                  1,
                  divisor};
  launch(reduce_shader(*this), reduce_constants(op, src, out, true), {writes(out), reads(src)},
         &push, sizeof push, groups_for(uint64_t{outer} * inner));
}

void VulkanBackend::cumsum(const Tensor& x, int64_t dim, const Tensor& out) {
  if (any_float64({&x})) {
    return fallback("cumsum", {out, x}, 1, [=](Backend& cpu, const std::vector<Tensor>& h) {
      cpu.cumsum(h[1], dim, h[0]);
    });
  }
  if (x.numel() == 0) return;
  EMBER_CHECK(x.dtype() != kBool, "cumsum", "bool input must be converted to int64 first");
  Tensor src = contiguous_copy(x, *this);
  Around32 s = around32(x.shape(), dim);
  for (uint32_t begin = 0; begin < s.n; begin += kMaxLoopIterations) {
    CumsumPush push{s.outer, s.n,
                    s.inner, static_cast<uint32_t>(src.storage_offset()),
                    begin,   std::min(s.n, begin + kMaxLoopIterations)};
    launch(shaders::cumsum, {kWorkgroup, static_cast<uint32_t>(x.dtype())},
           {writes(out), reads(src)}, &push, sizeof push, groups_for(uint64_t{s.outer} * s.inner));
  }
}

void VulkanBackend::softmax(const Tensor& x, int64_t dim, bool log, const Tensor& out) {
  if (any_float64({&x})) {
    return fallback(
        log ? "log_softmax" : "softmax", {out, x}, 1,
        [=](Backend& cpu, const std::vector<Tensor>& h) { cpu.softmax(h[1], dim, log, h[0]); });
  }
  if (x.numel() == 0) return;
  Around32 s = around32(x.shape(), dim);
  if (s.inner > 1 && s.n > kMaxLoopIterations) {
    // Too long for one invocation's walk: make dim the last, rows, and put it back.
    int64_t last = x.dim() - 1;
    auto swapped = [&](const Tensor& t) {
      Shape shape = t.shape(), strides = t.strides();
      std::swap(shape[dim], shape[last]);
      std::swap(strides[dim], strides[last]);
      return make_view(t, shape, strides, t.storage_offset());
    };
    Tensor rows = contiguous_copy(swapped(x), *this);
    Tensor result = make_tensor(rows.shape(), x.dtype(), device(), log ? "log_softmax" : "softmax");
    softmax(rows, last, log, result);
    return copy(swapped(result), out);
  }
  Tensor src = contiguous_copy(x, *this);
  bool columns = s.inner > 1;
  SoftmaxPush push{s.outer, s.n, s.inner, static_cast<uint32_t>(src.storage_offset())};
  // The shader writes out[i - x_offset]; out is fresh and contiguous like src.
  Groups groups = columns ? groups_for(uint64_t{s.outer} * s.inner) : groups_for(s.outer, 1);
  launch(pick_variant(*this, pick(shaders::softmax, context().features()), {&out, &src}),
         {kWorkgroup, static_cast<uint32_t>(x.dtype()), log ? 1u : 0u, columns ? 1u : 0u},
         {writes(out), reads(src)}, &push, sizeof push, groups);
}

}  // namespace ember::vulkan
