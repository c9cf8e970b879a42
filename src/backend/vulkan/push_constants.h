// The push constants of every kernel, as the shaders' `layout(push_constant)` blocks lay
// them out. Beside each struct, EMBER_PUSH_FIELDS_<Struct>(F) lists its members once, in
// order; tests/test_push_constants.cpp checks each against the block that every variant
// of its shader declares (reflected from the SPIR-V at build time).
#pragma once

#include <cstdint>

#include "backend/vulkan/pipelines.h"

namespace ember::vulkan {

// shaders/unary.comp
struct UnaryPush {
  uint32_t sizes[4];
  int32_t out_strides[4];
  int32_t in_strides[4];
  uint32_t n, out_offset, in_offset;
  float low_f, high_f;
  uint32_t low_i[2], high_i[2];  // int64 as words: the shader's layout has no padding
};
#define EMBER_PUSH_FIELDS_UnaryPush(F)                                                             \
  F(sizes), F(out_strides), F(in_strides), F(n), F(out_offset), F(in_offset), F(low_f), F(high_f), \
      F(low_i), F(high_i)

// shaders/binary.comp
struct BinaryPush {
  uint32_t sizes[4];
  int32_t strides[3][4];  // out, a, b
  uint32_t n, out_offset, a_offset, b_offset;
  float scalar_f;
  uint32_t scalar_i[2];
};
#define EMBER_PUSH_FIELDS_BinaryPush(F) \
  F(sizes), F(strides), F(n), F(out_offset), F(a_offset), F(b_offset), F(scalar_f), F(scalar_i)

// shaders/where.comp
struct WherePush {
  uint32_t sizes[4];
  int32_t strides[4][4];  // out, condition, a, b
  uint32_t n, offsets[4];
};
#define EMBER_PUSH_FIELDS_WherePush(F) F(sizes), F(strides), F(n), F(offsets)

// shaders/index.comp
inline constexpr int kMaxIndexDims = 6;
struct IndexPush {
  uint32_t outer, inner, count, dim_size, dim, index_offset, x_offset, out_offset, begin, end;
  uint32_t sizes[kMaxIndexDims], strides[kMaxIndexDims];
  uint32_t check_slot;
};
#define EMBER_PUSH_FIELDS_IndexPush(F)                                                            \
  F(outer), F(inner), F(count), F(dim_size), F(dim), F(index_offset), F(x_offset), F(out_offset), \
      F(begin), F(end), F(sizes), F(strides), F(check_slot)

// shaders/loss.comp
struct LossPush {
  uint32_t rows, classes;
  float smoothing;
  uint32_t ignore_index[2];
  uint32_t logits_offset, target_offset, grad_offset;
  uint32_t check_slot;
};
#define EMBER_PUSH_FIELDS_LossPush(F)                                                     \
  F(rows), F(classes), F(smoothing), F(ignore_index), F(logits_offset), F(target_offset), \
      F(grad_offset), F(check_slot)

// shaders/matmul.comp and shaders/matmul_int.comp
struct MatmulPush {
  uint32_t m, n, k, a_offset, b_offset, out_offset;
  int32_t a_strides[3], b_strides[3];  // batch, row, column
};
#define EMBER_PUSH_FIELDS_MatmulPush(F) \
  F(m), F(n), F(k), F(a_offset), F(b_offset), F(out_offset), F(a_strides), F(b_strides)

// shaders/index_sort.comp
struct IndexSortPush {
  uint32_t count, keys_count, dim_size, index_offset, first_block, last_block, stride, check_slot;
};
#define EMBER_PUSH_FIELDS_IndexSortPush(F)                                                         \
  F(count), F(keys_count), F(dim_size), F(index_offset), F(first_block), F(last_block), F(stride), \
      F(check_slot)

// shaders/index_bucket_add.comp
struct IndexBucketAddPush {
  uint32_t count, inner, src_offset, out_offset, begin, end, launch;
};
#define EMBER_PUSH_FIELDS_IndexBucketAddPush(F) \
  F(count), F(inner), F(src_offset), F(out_offset), F(begin), F(end), F(launch)

// shaders/norm.comp
struct NormPush {
  uint32_t rows, cols;
  float eps;
  uint32_t x_offset, weight_offset, bias_offset, grad_offset;
};
#define EMBER_PUSH_FIELDS_NormPush(F) \
  F(rows), F(cols), F(eps), F(x_offset), F(weight_offset), F(bias_offset), F(grad_offset)

// shaders/optim.comp
struct AdamPush {
  uint32_t count;
  float beta1, beta2, weight_decay, decay, step_size, sqrt_c2, eps;
};
#define EMBER_PUSH_FIELDS_AdamPush(F) \
  F(count), F(beta1), F(beta2), F(weight_decay), F(decay), F(step_size), F(sqrt_c2), F(eps)

// shaders/random.comp
struct RandomPush {
  uint32_t n, out_offset, key[2], counter[2];
  float low, span, below_high;
  uint32_t low_int[2], range[2];
};
#define EMBER_PUSH_FIELDS_RandomPush(F) \
  F(n), F(out_offset), F(key), F(counter), F(low), F(span), F(below_high), F(low_int), F(range)

// shaders/reduce.comp
struct ReducePush {
  uint32_t outer, reduced, inner, x_offset, out_offset, chunk, chunks;
  float divisor;
};
#define EMBER_PUSH_FIELDS_ReducePush(F) \
  F(outer), F(reduced), F(inner), F(x_offset), F(out_offset), F(chunk), F(chunks), F(divisor)

// shaders/softmax.comp
struct SoftmaxPush {
  uint32_t outer, n, inner, x_offset;
};
#define EMBER_PUSH_FIELDS_SoftmaxPush(F) F(outer), F(n), F(inner), F(x_offset)

// shaders/cumsum.comp
struct CumsumPush {
  uint32_t outer, n, inner, x_offset, begin, end;
};
#define EMBER_PUSH_FIELDS_CumsumPush(F) F(outer), F(n), F(inner), F(x_offset), F(begin), F(end)

static_assert(sizeof(UnaryPush) <= kPushConstantBytes && sizeof(BinaryPush) <= kPushConstantBytes &&
              sizeof(WherePush) <= kPushConstantBytes && sizeof(IndexPush) <= kPushConstantBytes &&
              sizeof(LossPush) <= kPushConstantBytes && sizeof(MatmulPush) <= kPushConstantBytes &&
              sizeof(NormPush) <= kPushConstantBytes && sizeof(AdamPush) <= kPushConstantBytes &&
              sizeof(RandomPush) <= kPushConstantBytes &&
              sizeof(ReducePush) <= kPushConstantBytes &&
              sizeof(SoftmaxPush) <= kPushConstantBytes &&
              sizeof(CumsumPush) <= kPushConstantBytes &&
              sizeof(IndexSortPush) <= kPushConstantBytes &&
              sizeof(IndexBucketAddPush) <= kPushConstantBytes);

}  // namespace ember::vulkan
