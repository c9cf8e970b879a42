// Vulkan indexing family: index_select, gather, scatter_add and index_add.
#include "backend/vulkan/kernels.h"

namespace ember::vulkan {

void VulkanBackend::index_select(const Tensor& x, int64_t dim, const Tensor& index,
                                 const Tensor& out) {
  fallback("index_select", {out, x, index}, 1, [=](Backend& cpu, const std::vector<Tensor>& h) {
    cpu.index_select(h[1], dim, h[2], h[0]);
  });
}

void VulkanBackend::gather(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& out) {
  fallback("gather", {out, x, index}, 1,
           [=](Backend& cpu, const std::vector<Tensor>& h) { cpu.gather(h[1], dim, h[2], h[0]); });
}

void VulkanBackend::scatter_add(const Tensor& out, int64_t dim, const Tensor& index,
                                const Tensor& src) {
  fallback("scatter_add", {out, index, src}, 1, [=](Backend& cpu, const std::vector<Tensor>& h) {
    cpu.scatter_add(h[0], dim, h[1], h[2]);
  });
}

void VulkanBackend::index_add(const Tensor& out, int64_t dim, const Tensor& index,
                              const Tensor& src) {
  fallback("index_add", {out, index, src}, 1, [=](Backend& cpu, const std::vector<Tensor>& h) {
    cpu.index_add(h[0], dim, h[1], h[2]);
  });
}

}  // namespace ember::vulkan
