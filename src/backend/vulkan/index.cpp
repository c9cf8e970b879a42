// Vulkan indexing family: index_select, gather, scatter_add and index_add over contiguous
// tensors (shaders/index.comp). Out-of-range indices are reported by the device and
// raised at the next host wait. index_add of float data along a dim with nothing before
// it (the embedding backward) buckets the tokens by index on the device and sums each
// bucket in token order (shaders/index_sort.comp, index_bucket_add.comp).
#include <algorithm>
#include <bit>
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
IndexPush along_dim(const Tensor& indexed, int64_t dim, const Tensor& index) {
  Around32 s = around32(indexed.shape(), dim);
  IndexPush push{};
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

// source is x (or src for the adds), contiguous, of out's dtype; push is filled but for
// the offsets and the walk. The adds walk `steps` in pieces that keep each shader loop short.
void launch_index(VulkanBackend& backend, IndexMode mode, IndexPush& push, const Tensor& out,
                  const Tensor& source, const Tensor& index, const CheckContext& context,
                  uint64_t items, uint32_t steps = 1) {
  push.index_offset = static_cast<uint32_t>(index.storage_offset());
  push.x_offset = static_cast<uint32_t>(source.storage_offset());
  push.out_offset = static_cast<uint32_t>(out.storage_offset());
  for (uint32_t begin = 0; begin < steps; begin += kMaxLoopIterations) {
    push.begin = begin;
    push.end = std::min(steps, begin + kMaxLoopIterations);
    backend.launch_checked(
        shaders::index,
        {kWorkgroup, static_cast<uint32_t>(mode), static_cast<uint32_t>(out.dtype())},
        {writes(out), reads(source), reads(index), backend.device_checks()}, &push, sizeof push,
        groups_for(items), {offsetof(IndexPush, check_slot), context});
  }
}

// index_sort.comp sorts or merges a tile of keys per workgroup, two per invocation.
constexpr uint32_t kSortTile = 2 * kWorkgroup;
enum class SortMode : uint32_t { TilesFromIndex = 0, Step = 1, Tiles = 2 };

// The keys sorted for `tokens`: a power of two, at least a tile.
uint64_t sort_keys_for(int64_t tokens) {
  return std::bit_ceil(std::max<uint64_t>(static_cast<uint64_t>(tokens), kSortTile));
}

// Whether index_add takes the bucketed path: a float out (partial sums carry in float32)
// with nothing before dim, and keys that one buffer binds.
bool bucketed(const VulkanBackend& backend, const Tensor& out, int64_t dim, const Tensor& index) {
  if (!out.is_floating_point() || around32(out.shape(), dim).outer != 1) return false;
  uint64_t key_bytes = sort_keys_for(index.numel()) * sizeof(uint64_t);
  return key_bytes <= backend.context().limits().maxStorageBufferRange;
}

// The (index, position) key of every token, sorted on the device: each bucket of equal
// indices lists its positions in token order. Bad indices are reported and sort last.
Tensor sorted_keys(VulkanBackend& backend, const Tensor& index, uint32_t dim_size,
                   const CheckContext& context) {
  uint32_t keys_count = static_cast<uint32_t>(sort_keys_for(index.numel()));
  Tensor keys = make_tensor({keys_count}, kInt64, index.device(), "index_add");
  IndexSortPush push{};
  push.count = static_cast<uint32_t>(index.numel());
  push.keys_count = keys_count;
  push.dim_size = dim_size;
  push.index_offset = static_cast<uint32_t>(index.storage_offset());
  push.first_block = 2;
  push.last_block = kSortTile;
  Groups groups = groups_for(keys_count / 2);
  std::initializer_list<BufferUse> buffers{writes(keys), reads(index), backend.device_checks()};
  backend.launch_checked(
      shaders::index_sort, {kWorkgroup, static_cast<uint32_t>(SortMode::TilesFromIndex)}, buffers,
      &push, sizeof push, groups, {offsetof(IndexSortPush, check_slot), context});
  for (uint32_t block = 2 * kSortTile; block <= keys_count; block *= 2) {
    push.first_block = push.last_block = block;
    for (uint32_t stride = block / 2; stride >= kSortTile; stride /= 2) {
      push.stride = stride;
      backend.launch(shaders::index_sort, {kWorkgroup, static_cast<uint32_t>(SortMode::Step)},
                     buffers, &push, sizeof push, groups);
    }
    backend.launch(shaders::index_sort, {kWorkgroup, static_cast<uint32_t>(SortMode::Tiles)},
                   buffers, &push, sizeof push, groups);
  }
  return keys;
}

// out [V, inner] += src [L, inner] at index[l], each bucket summed in token order by one
// invocation per column; launches of at most kMaxLoopIterations sorted slots hand a
// bucket that spans them on through a carry of two rows.
void bucketed_index_add(VulkanBackend& backend, const Tensor& out, int64_t dim, const Tensor& index,
                        const Tensor& src, const CheckContext& context) {
  Around32 s = around32(out.shape(), dim);
  uint32_t tokens = static_cast<uint32_t>(index.numel());
  Tensor keys = sorted_keys(backend, index, s.n, context);
  Tensor carry = make_tensor({2, s.inner}, kFloat32, out.device(), "index_add");
  IndexBucketAddPush push{};
  push.count = tokens;
  push.inner = s.inner;
  push.src_offset = static_cast<uint32_t>(src.storage_offset());
  push.out_offset = static_cast<uint32_t>(out.storage_offset());
  // Slots per launch: at most a loop's length, and 2^31 invocations.
  uint32_t slots = std::min(kMaxLoopIterations, std::max(1u, (1u << 31) / s.inner));
  for (uint32_t begin = 0; begin < tokens; begin += slots, ++push.launch) {
    push.begin = begin;
    push.end = std::min(tokens, begin + slots);
    backend.launch(shaders::index_bucket_add, {kWorkgroup, static_cast<uint32_t>(out.dtype())},
                   {writes(out), reads(src), reads(keys), writes(carry)}, &push, sizeof push,
                   groups_for(uint64_t{push.end - begin} * s.inner));
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
  IndexPush push = along_dim(x, dim, index);
  launch_index(*this, IndexMode::Select, push, out, src, positions,
               index_context("index_select", dim, x, index), static_cast<uint64_t>(out.numel()));
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
  set_layout(push, index.shape(), x.shape(), dim);
  launch_index(*this, IndexMode::Gather, push, out, src, positions,
               index_context("gather", dim, x, index), static_cast<uint64_t>(out.numel()));
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
  set_layout(push, index.shape(), out.shape(), dim);
  launch_index(*this, IndexMode::ScatterAdd, push, out, values, positions,
               index_context("scatter_add", dim, out, index),
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
  CheckContext context = index_context("index_add", dim, out, index);
  if (bucketed(*this, out, dim, index)) {
    return bucketed_index_add(*this, out, dim, positions, values, context);
  }
  IndexPush push = along_dim(out, dim, index);
  launch_index(*this, IndexMode::IndexAdd, push, out, values, positions, context,
               uint64_t{push.outer} * push.inner, push.count);
}

}  // namespace ember::vulkan
