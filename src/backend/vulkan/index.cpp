// Vulkan indexing family: index_select, gather, scatter_add and index_add over contiguous
// tensors (shaders/index.comp). Out-of-range indices are reported by the device and
// raised at the next host wait.
#include <algorithm>
#include <cstddef>

#include "backend/vulkan/kernels.h"

namespace ember::vulkan {

namespace {

enum class IndexMode : uint32_t { Select = 0, IndexAdd = 1, Gather = 2, ScatterAdd = 3 };

// Fills sizes (index's shape) and strides (of the indexed tensor), right-aligned in 6 slots.
void set_layout(IndexPush& push, const Shape& index_shape, const Shape& indexed, int64_t dim) {
  size_t pad = kMaxIndexDims - index_shape.size();
  Shape strides = contiguous_strides(indexed);
  for (size_t d = 0; d < kMaxIndexDims; ++d) {
    push.sizes[d] = d < pad ? 1 : static_cast<uint32_t>(index_shape[d - pad]);
    push.strides[d] = d < pad ? 0 : static_cast<uint32_t>(strides[d - pad]);
  }
  push.dim = static_cast<uint32_t>(dim + static_cast<int64_t>(pad));
  push.dim_size = static_cast<uint32_t>(indexed[dim]);
}

// The push constants of the modes that walk a 1-D index along dim of `indexed`
// (Select, IndexAdd): [outer, dim, inner] around it, and count = the index's length.
IndexPush along_dim(IndexMode mode, const Tensor& indexed, int64_t dim, const Tensor& index) {
  Around32 s = around32(indexed.shape(), dim);
  IndexPush push{};
  push.mode = static_cast<uint32_t>(mode);
  push.dtype = static_cast<uint32_t>(indexed.dtype());
  push.outer = s.outer;
  push.inner = s.inner;
  push.count = static_cast<uint32_t>(index.numel());
  push.dim_size = s.n;
  return push;
}

bool cpu_only(const Tensor& t) { return t.dtype() == kFloat64 || t.dim() > kMaxIndexDims; }

// What an index out of range names: the user's op, or the primitive with its operands
// (x, or out for the adds, and the index).
CheckContext index_context(const char* primitive, int64_t dim, const Tensor& indexed,
                           const Tensor& index) {
  return check_context(primitive, dim, {"input", &indexed.shape()}, {"index", &index.shape()});
}

// source is x (or src for the adds), contiguous; push is filled but for the offsets and
// the walk. The adds walk `steps` in pieces that keep each shader loop short.
void launch_index(VulkanBackend& backend, IndexPush& push, const Tensor& out, const Tensor& source,
                  const Tensor& index, const CheckContext& context, uint64_t items,
                  uint32_t steps = 1) {
  push.index_offset = static_cast<uint32_t>(index.storage_offset());
  push.x_offset = static_cast<uint32_t>(source.storage_offset());
  push.out_offset = static_cast<uint32_t>(out.storage_offset());
  for (uint32_t begin = 0; begin < steps; begin += kMaxLoopIterations) {
    push.begin = begin;
    push.end = std::min(steps, begin + kMaxLoopIterations);
    backend.launch_checked(shaders::index, {kWorkgroup},
                           {writes(out), reads(source), reads(index), backend.device_checks()},
                           &push, sizeof push, groups_for(items),
                           {offsetof(IndexPush, check_slot), context});
  }
}

}  // namespace

void VulkanBackend::index_select(const Tensor& x, int64_t dim, const Tensor& index,
                                 const Tensor& out) {
  if (cpu_only(x)) {
    return fallback("index_select", {out, x, index}, 1,
                    [=](Backend& cpu, const std::vector<Tensor>& h) {
                      cpu.index_select(h[1], dim, h[2], h[0]);
                    });
  }
  if (out.numel() == 0) return;
  Tensor src = contiguous_copy(x, *this), positions = contiguous_copy(index, *this);
  IndexPush push = along_dim(IndexMode::Select, x, dim, index);
  launch_index(*this, push, out, src, positions, index_context("index_select", dim, x, index),
               static_cast<uint64_t>(out.numel()));
}

void VulkanBackend::gather(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& out) {
  if (cpu_only(x)) {
    return fallback("gather", {out, x, index}, 1, [=](Backend& cpu, const std::vector<Tensor>& h) {
      cpu.gather(h[1], dim, h[2], h[0]);
    });
  }
  if (out.numel() == 0) return;
  Tensor src = contiguous_copy(x, *this), positions = contiguous_copy(index, *this);
  IndexPush push{};
  push.mode = static_cast<uint32_t>(IndexMode::Gather);
  push.dtype = static_cast<uint32_t>(x.dtype());
  set_layout(push, index.shape(), x.shape(), dim);
  launch_index(*this, push, out, src, positions, index_context("gather", dim, x, index),
               static_cast<uint64_t>(out.numel()));
}

void VulkanBackend::scatter_add(const Tensor& out, int64_t dim, const Tensor& index,
                                const Tensor& src) {
  if (cpu_only(out)) {
    return fallback("scatter_add", {out, index, src}, 1,
                    [=](Backend& cpu, const std::vector<Tensor>& h) {
                      cpu.scatter_add(h[0], dim, h[1], h[2]);
                    });
  }
  if (index.numel() == 0) return;
  // src seen with index's shape, then packed like index.
  Tensor values =
      contiguous_copy(make_view(src, index.shape(), src.strides(), src.storage_offset()), *this);
  Tensor positions = contiguous_copy(index, *this);
  IndexPush push{};
  push.mode = static_cast<uint32_t>(IndexMode::ScatterAdd);
  push.dtype = static_cast<uint32_t>(out.dtype());
  set_layout(push, index.shape(), out.shape(), dim);
  launch_index(*this, push, out, values, positions, index_context("scatter_add", dim, out, index),
               static_cast<uint64_t>(index.numel() / index.shape()[dim]),
               static_cast<uint32_t>(index.shape()[dim]));
}

void VulkanBackend::index_add(const Tensor& out, int64_t dim, const Tensor& index,
                              const Tensor& src) {
  if (cpu_only(out)) {
    return fallback(
        "index_add", {out, index, src}, 1,
        [=](Backend& cpu, const std::vector<Tensor>& h) { cpu.index_add(h[0], dim, h[1], h[2]); });
  }
  if (src.numel() == 0) return;
  Tensor values = contiguous_copy(src, *this), positions = contiguous_copy(index, *this);
  IndexPush push = along_dim(IndexMode::IndexAdd, out, dim, index);
  launch_index(*this, push, out, values, positions, index_context("index_add", dim, out, index),
               uint64_t{push.outer} * push.inner, push.count);
}

}  // namespace ember::vulkan
