// Layouts for the elementwise shaders: a shape and each operand's strides, with size-1
// dims dropped and neighbouring dims merged where every operand allows, cut to at most
// 4 dims. Layouts with more dims are launched once per index of the leading ones.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "core/check.h"
#include "core/tensor_impl.h"

namespace ember::vulkan {

template <size_t N>
struct Strided4 {
  uint32_t sizes[4] = {1, 1, 1, 1};
  int32_t strides[N][4] = {};
  uint32_t offsets[N] = {};
  uint32_t numel = 0;
  bool contiguous = false;  // every operand dense: element i at offset + i
};

template <size_t N, typename Launch>
void for_each_strided4(const Shape& shape, const std::array<const Tensor*, N>& operands,
                       const char* op, const Launch& launch) {
  std::vector<int64_t> sizes;
  std::vector<std::array<int64_t, N>> strides;
  int64_t numel = 1;
  for (size_t d = 0; d < shape.size(); ++d) {
    numel *= shape[d];
    if (shape[d] == 1) continue;
    std::array<int64_t, N> s;
    for (size_t k = 0; k < N; ++k) s[k] = operands[k]->strides()[d];
    bool merge = !sizes.empty();
    for (size_t k = 0; k < N && merge; ++k) merge = strides.back()[k] == s[k] * shape[d];
    if (merge) {
      sizes.back() *= shape[d];
      strides.back() = s;
    } else {
      sizes.push_back(shape[d]);
      strides.push_back(s);
    }
  }
  if (numel == 0) return;
  EMBER_CHECK(numel <= int64_t{UINT32_MAX}, op, "tensors of more than 2^32 elements (", numel,
              ") are not supported on Vulkan");
  size_t outer = sizes.size() > 4 ? sizes.size() - 4 : 0;
  Strided4<N> layout;
  layout.numel = 1;
  for (size_t d = outer; d < sizes.size(); ++d) {
    size_t slot = 4 - (sizes.size() - d);
    layout.sizes[slot] = static_cast<uint32_t>(sizes[d]);
    layout.numel *= static_cast<uint32_t>(sizes[d]);
    for (size_t k = 0; k < N; ++k) {
      EMBER_CHECK(strides[d][k] <= INT32_MAX, op, "a stride of ", strides[d][k],
                  " elements is too large for Vulkan kernels");
      layout.strides[k][slot] = static_cast<int32_t>(strides[d][k]);
    }
  }
  layout.contiguous = sizes.size() <= 1;
  for (size_t k = 0; k < N && layout.contiguous; ++k) {
    layout.contiguous = sizes.empty() || strides[0][k] == 1;
  }
  std::vector<int64_t> index(outer, 0);
  while (true) {
    for (size_t k = 0; k < N; ++k) {
      int64_t offset = operands[k]->storage_offset();
      for (size_t d = 0; d < outer; ++d) offset += index[d] * strides[d][k];
      layout.offsets[k] = static_cast<uint32_t>(offset);
    }
    launch(layout);
    size_t d = outer;
    while (d > 0 && ++index[d - 1] == sizes[d - 1]) index[--d] = 0;
    if (d == 0) return;
  }
}

}  // namespace ember::vulkan
