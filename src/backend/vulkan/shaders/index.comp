#version 450
// The index family over contiguous tensors, any dtype; index is int64 and every entry is
// checked (a bad one is reported through checks.glsl and its element left alone).
//   SELECT     out [outer, L, inner] = x [outer, S, inner] at index[l]; one invocation per out element
//   INDEX_ADD  out [outer, S, inner] += src [outer, L, inner] at index[l]; one invocation per
//              (outer, inner) pair walking l in order, so sums repeat bit for bit
//   GATHER     out (index's shape) = x at index along dim; up to 6 dims
//   SCATTER_ADD out += src (index's shape) at index along dim; one invocation per position
//              off dim, walking dim in order
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#define CHECKS_BINDING 3
#include "checks.glsl"

TENSOR(out_data, 0)
TENSOR(x_data, 1)     // x, or src for the adds
TENSOR(index_words, 2)

#define MODE_SELECT 0u
#define MODE_INDEX_ADD 1u
#define MODE_GATHER 2u
#define MODE_SCATTER_ADD 3u
#define CHECK_INDEX 2u

layout(constant_id = 1) const uint MODE = MODE_SELECT;
layout(constant_id = 2) const uint DTYPE = DT_F32;

layout(push_constant) uniform Push {
  uint outer;
  uint inner;
  uint count;       // L, or the size of dim in index's shape
  uint dim_size;    // S: the size of dim in the indexed tensor
  uint dim;         // of 6, for GATHER and SCATTER_ADD
  uint index_offset;
  uint x_offset;
  uint out_offset;
  uint begin;       // the adds walk [begin, end) of l (INDEX_ADD) or of dim (SCATTER_ADD)
  uint end;
  uint sizes[6];    // index's shape, padded in front with 1s
  uint strides[6];  // the indexed tensor's strides (x for GATHER, out for SCATTER_ADD)
  uint check_slot;
} pc;

// index[i], or -1 after reporting when it is out of range.
int64_t checked_index(uint i) {
  int64_t value = index_words_load_i64(pc.index_offset + i);
  if (value < 0l || value >= int64_t(pc.dim_size)) {
    report_error(pc.check_slot, CHECK_INDEX, value, pc.dim_size, i);
    return -1l;
  }
  return value;
}

void copy_element(uint to, uint from) {
  to += pc.out_offset;
  from += pc.x_offset;
  if (is_floating(DTYPE)) {
    out_data_store_float(to, DTYPE, x_data_load_float(from, DTYPE));
  } else {
    out_data_store_int(to, DTYPE, x_data_load_int(from, DTYPE));
  }
}

void add_element(uint to, uint from) {
  to += pc.out_offset;
  from += pc.x_offset;
  if (is_floating(DTYPE)) {
    float sum = out_data_load_float(to, DTYPE) + x_data_load_float(from, DTYPE);
    out_data_store_float(to, DTYPE, sum);
  } else {
    int64_t sum = out_data_load_int(to, DTYPE) + x_data_load_int(from, DTYPE);
    out_data_store_int(to, DTYPE, sum);
  }
}

void main() {
  uint item = global_index();
  if (MODE == MODE_SELECT) {
    if (item >= pc.outer * pc.count * pc.inner) return;
    uint i = item % pc.inner, l = (item / pc.inner) % pc.count, o = item / (pc.inner * pc.count);
    int64_t at = checked_index(l);
    if (at >= 0l) copy_element(item, (o * pc.dim_size + uint(at)) * pc.inner + i);
  } else if (MODE == MODE_INDEX_ADD) {
    if (item >= pc.outer * pc.inner) return;
    uint o = item / pc.inner, i = item % pc.inner;
    for (uint l = pc.begin; l < pc.end; ++l) {
      int64_t at = checked_index(l);
      if (at >= 0l) add_element((o * pc.dim_size + uint(at)) * pc.inner + i, (o * pc.count + l) * pc.inner + i);
    }
  } else {
    // Coordinates of item over index's shape with dim left out (SCATTER_ADD) or in (GATHER).
    bool gather = MODE == MODE_GATHER;
    uint total = 1u;
    for (uint d = 0u; d < 6u; ++d) total *= (gather || d != pc.dim) ? pc.sizes[d] : 1u;
    if (item >= total) return;
    uint rest = item, offset = 0u, position = 0u, step = 1u;
    for (int d = 5; d >= 0; --d) {
      if (!gather && uint(d) == pc.dim) {
        step *= pc.sizes[d];
        continue;
      }
      uint c = rest % pc.sizes[d];
      rest /= pc.sizes[d];
      if (uint(d) != pc.dim) offset += c * pc.strides[d];
      position += c * step;
      step *= pc.sizes[d];
    }
    uint dim_step = 1u;
    for (uint d = pc.dim + 1u; d < 6u; ++d) dim_step *= pc.sizes[d];
    if (gather) {
      int64_t at = checked_index(position);
      if (at >= 0l) copy_element(position, offset + uint(at) * pc.strides[pc.dim]);
      return;
    }
    for (uint r = pc.begin; r < pc.end; ++r) {
      uint p = position + r * dim_step;
      int64_t at = checked_index(p);
      if (at >= 0l) add_element(offset + uint(at) * pc.strides[pc.dim], p);
    }
  }
}
