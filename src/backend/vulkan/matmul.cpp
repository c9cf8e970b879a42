// Vulkan matmul: a tiled kernel with float32 sums (shaders/matmul.comp) for float32,
// float16 and bfloat16, and one with wrapping 64-bit integer sums (shaders/matmul_int.comp)
// for int32, int64 and uint8. Both read the operands through their strides, so transposed
// and batch-broadcast operands need no copy.
#include <algorithm>
#include <vector>

#include "backend/vulkan/kernels.h"

namespace ember::vulkan {

namespace {

// The tiling of one launch: a TILE_M x TILE_N block of out per workgroup, THREAD_M x
// THREAD_N of it in each invocation's registers.
struct Tiling {
  uint32_t tile_m, tile_n, tile_k, thread_m, thread_n;
  constexpr uint32_t threads() const { return (tile_m / thread_m) * (tile_n / thread_n); }
};
constexpr Tiling kSmallTiles{64, 64, 16, 4, 4};
// Twice the arithmetic per value read from shared memory, but a quarter of the
// workgroups: only products large enough to fill a big GPU with them take it.
constexpr Tiling kLargeTiles{128, 128, 8, 8, 8};
constexpr uint64_t kLargeTilesFrom = uint64_t{2048} * 2048;  // outputs per matrix
static_assert(kSmallTiles.threads() <= kMaxWorkgroupInvocations &&
              kLargeTiles.threads() <= kMaxWorkgroupInvocations);
static_assert(kSmallTiles.thread_n % 4 == 0 && kLargeTiles.thread_n % 4 == 0);  // runs of 4
// Integer matmul is no hot path: one output per invocation, square tiles.
constexpr uint32_t kIntegerTile = 16;
static_assert(kIntegerTile * kIntegerTile <= kMaxWorkgroupInvocations);

bool is_integer_matmul(DType dtype) {
  return dtype == kInt32 || dtype == kInt64 || dtype == kUInt8;
}

int32_t stride32(const Tensor& t, int dim) {
  int64_t stride = t.strides()[dim];
  EMBER_CHECK(stride <= INT32_MAX, "matmul", "a stride of ", stride,
              " elements is too large for the Vulkan kernel");
  return static_cast<int32_t>(stride);
}

// The shader of a product, its specialization constants and the block of out that each
// workgroup computes.
struct MatmulKernel {
  ShaderId shader;
  std::vector<uint32_t> constants;
  uint32_t tile_m, tile_n;
};

MatmulKernel kernel_for(const VulkanBackend& backend, const Tensor& a, const Tensor& b,
                        const Tensor& out) {
  auto dtype = static_cast<uint32_t>(out.dtype());
  if (is_integer_matmul(out.dtype())) {
    return {shaders::matmul_int,
            {kIntegerTile * kIntegerTile, kIntegerTile, dtype},
            kIntegerTile,
            kIntegerTile};
  }
  uint64_t m = out.shape()[1], n = out.shape()[2];
  bool large = m * n >= kLargeTilesFrom && m >= kLargeTiles.tile_m && n >= kLargeTiles.tile_n;
  const Tiling& tiling = large ? kLargeTiles : kSmallTiles;
  return {pick_variant(backend, shaders::matmul, {&out, &a, &b}),
          {tiling.threads(), tiling.tile_m, tiling.tile_n, tiling.tile_k, tiling.thread_m,
           tiling.thread_n, dtype},
          tiling.tile_m,
          tiling.tile_n};
}

}  // namespace

void VulkanBackend::matmul(const Tensor& a, const Tensor& b, const Tensor& out) {
  DType dtype = out.dtype();
  if (!is_integer_matmul(dtype) && dtype != kFloat32 && dtype != kFloat16 && dtype != kBFloat16) {
    return fallback("matmul", {out, a, b}, 1, [](Backend& cpu, const std::vector<Tensor>& h) {
      cpu.matmul(h[1], h[2], h[0]);
    });
  }
  EMBER_CHECK(a.dtype() == dtype && b.dtype() == dtype, "matmul",
              "expects operands of the output's dtype ", dtype, ", got ", a.dtype(), " and ",
              b.dtype());
  uint32_t batches = static_cast<uint32_t>(out.shape()[0]);
  uint32_t m = static_cast<uint32_t>(out.shape()[1]), n = static_cast<uint32_t>(out.shape()[2]);
  uint32_t k = static_cast<uint32_t>(a.shape()[2]);
  if (out.numel() == 0) return;
  if (k == 0) return fill(out, 0);
  MatmulPush push{m,
                  n,
                  k,
                  0,
                  0,
                  0,
                  {stride32(a, 0), stride32(a, 1), stride32(a, 2)},
                  {stride32(b, 0), stride32(b, 1), stride32(b, 2)}};
  MatmulKernel kernel = kernel_for(*this, a, b, out);
  for (uint32_t first = 0; first < batches; first += kMaxGroupsPerAxis) {
    uint32_t count = std::min(batches - first, kMaxGroupsPerAxis);
    push.a_offset = static_cast<uint32_t>(a.storage_offset() + int64_t{first} * push.a_strides[0]);
    push.b_offset = static_cast<uint32_t>(b.storage_offset() + int64_t{first} * push.b_strides[0]);
    push.out_offset = static_cast<uint32_t>(out.storage_offset() + int64_t{first} * m * n);
    Groups groups{(n + kernel.tile_n - 1) / kernel.tile_n, (m + kernel.tile_m - 1) / kernel.tile_m,
                  count};
    EMBER_CHECK(groups.x <= kMaxGroupsPerAxis && groups.y <= kMaxGroupsPerAxis, "matmul",
                "a product of ", m, " x ", n, " is too large for one launch");
    launch(kernel.shader, kernel.constants, {writes(out), reads(a), reads(b)}, &push, sizeof push,
           groups);
  }
}

}  // namespace ember::vulkan
