// Vulkan indexing family: index_select, gather, scatter_add and index_add over contiguous
// tensors (shaders/index.comp). Out-of-range indices are reported by the device and
// raised at the next host wait.
#include <algorithm>

#include "backend/vulkan/kernels.h"

namespace ember::vulkan {

namespace {

enum class IndexMode : uint32_t { Select = 0, IndexAdd = 1, Gather = 2, ScatterAdd = 3 };
constexpr int kMaxIndexDims = 6;

struct IndexPush {
  uint32_t mode, dtype, outer, inner, count, dim_size, dim, index_offset, x_offset, out_offset,
      begin, end;
  uint32_t sizes[kMaxIndexDims], strides[kMaxIndexDims];
};
static_assert(sizeof(IndexPush) <= kPushConstantBytes);

// outer and inner of a contiguous shape around dim.
std::pair<uint32_t, uint32_t> around(const Shape& shape, int64_t dim) {
  uint32_t outer = 1, inner = 1;
  for (int64_t d = 0; d < static_cast<int64_t>(shape.size()); ++d) {
    if (d < dim) outer *= static_cast<uint32_t>(shape[d]);
    if (d > dim) inner *= static_cast<uint32_t>(shape[d]);
  }
  return {outer, inner};
}

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

bool cpu_only(const Tensor& t) { return t.dtype() == kFloat64 || t.dim() > kMaxIndexDims; }

// source is x (or src for the adds), contiguous; push is filled but for the offsets and
// the walk. The adds walk `steps` in pieces that keep each shader loop short.
void launch_index(VulkanBackend& backend, IndexPush& push, const Tensor& out, const Tensor& source,
                  const Tensor& index, uint64_t items, uint32_t steps = 1) {
  push.index_offset = static_cast<uint32_t>(index.storage_offset());
  push.x_offset = static_cast<uint32_t>(source.storage_offset());
  push.out_offset = static_cast<uint32_t>(out.storage_offset());
  for (uint32_t begin = 0; begin < steps; begin += kMaxLoopIterations) {
    push.begin = begin;
    push.end = std::min(steps, begin + kMaxLoopIterations);
    backend.launch("index", {kWorkgroup},
                   {writes(out), reads(source), reads(index), backend.device_checks()}, &push,
                   sizeof push, groups_for(items));
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
  Tensor src = contiguous(x), positions = contiguous(index);
  auto [outer, inner] = around(x.shape(), dim);
  IndexPush push{};
  push.mode = static_cast<uint32_t>(IndexMode::Select);
  push.dtype = static_cast<uint32_t>(x.dtype());
  push.outer = outer;
  push.inner = inner;
  push.count = static_cast<uint32_t>(index.numel());
  push.dim_size = static_cast<uint32_t>(x.shape()[dim]);
  launch_index(*this, push, out, src, positions, static_cast<uint64_t>(out.numel()));
}

void VulkanBackend::gather(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& out) {
  if (cpu_only(x)) {
    return fallback("gather", {out, x, index}, 1, [=](Backend& cpu, const std::vector<Tensor>& h) {
      cpu.gather(h[1], dim, h[2], h[0]);
    });
  }
  if (out.numel() == 0) return;
  Tensor src = contiguous(x), positions = contiguous(index);
  IndexPush push{};
  push.mode = static_cast<uint32_t>(IndexMode::Gather);
  push.dtype = static_cast<uint32_t>(x.dtype());
  set_layout(push, index.shape(), x.shape(), dim);
  launch_index(*this, push, out, src, positions, static_cast<uint64_t>(out.numel()));
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
  Tensor values = contiguous(make_view(src, index.shape(), src.strides(), src.storage_offset()));
  Tensor positions = contiguous(index);
  IndexPush push{};
  push.mode = static_cast<uint32_t>(IndexMode::ScatterAdd);
  push.dtype = static_cast<uint32_t>(out.dtype());
  set_layout(push, index.shape(), out.shape(), dim);
  launch_index(*this, push, out, values, positions,
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
  Tensor values = contiguous(src), positions = contiguous(index);
  auto [outer, inner] = around(out.shape(), dim);
  IndexPush push{};
  push.mode = static_cast<uint32_t>(IndexMode::IndexAdd);
  push.dtype = static_cast<uint32_t>(out.dtype());
  push.outer = outer;
  push.inner = inner;
  push.count = static_cast<uint32_t>(index.numel());
  push.dim_size = static_cast<uint32_t>(out.shape()[dim]);
  launch_index(*this, push, out, values, positions, uint64_t{outer} * inner, push.count);
}

}  // namespace ember::vulkan
