#version 450
// softmax and log_softmax of a contiguous float [outer, n, inner] tensor over n, computed
// in float32 and stored in x's dtype; compiled per storage variant (elements.glsl).
// ROWS (inner == 1): one workgroup per row, workgroup_reduce.glsl for the max and the sum.
// COLUMNS: one invocation per (outer, inner) pair, walking n in order.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "elements.glsl"

DATA_TENSOR(out_data, 0)
DATA_TENSOR(x_data, 1)

layout(push_constant) uniform Push {
  uint outer;
  uint n;
  uint inner;
  uint x_offset;
} pc;

#include "workgroup_reduce.glsl"
// x's and out's dtype, for the 32-bit-word variant.
layout(constant_id = 1) const uint DTYPE = DT_F32;
layout(constant_id = 2) const bool LOG_SOFTMAX = false;
layout(constant_id = 3) const bool COLUMNS = false;

float x_at(uint i) { return x_data_load_float(i, DTYPE); }

float combine_max(float a, float b) { return (is_nan(a) || a > b) ? a : b; }

void write_result(uint at, float x, float max_value, float sum) {
  out_data_store_float(at - pc.x_offset, DTYPE,
                       LOG_SOFTMAX ? (x - max_value) - log(sum) : exp(x - max_value) / sum);
}

void softmax_column(uint item) {
  if (item >= pc.outer * pc.inner) return;
  uint o = item / pc.inner, i = item % pc.inner;
  uint base = pc.x_offset + o * pc.n * pc.inner + i;
  float max_value = uintBitsToFloat(0xff800000u);
  for (uint k = 0u; k < pc.n; ++k) max_value = combine_max(max_value, x_at(base + k * pc.inner));
  float sum = 0.0;
  for (uint k = 0u; k < pc.n; ++k) sum += exp(x_at(base + k * pc.inner) - max_value);
  for (uint k = 0u; k < pc.n; ++k) {
    write_result(base + k * pc.inner, x_at(base + k * pc.inner), max_value, sum);
  }
}

void softmax_row(uint row) {
  uint t = gl_LocalInvocationID.x;
  bool in_range = row < pc.outer;
  uint base = pc.x_offset + row * pc.n;
  float max_value = uintBitsToFloat(0xff800000u);
  for (uint k = t; in_range && k < pc.n; k += gl_WorkGroupSize.x) {
    max_value = combine_max(max_value, x_at(base + k));
  }
  max_value = workgroup_max(max_value);
  float sum = 0.0;
  for (uint k = t; in_range && k < pc.n; k += gl_WorkGroupSize.x) {
    sum += exp(x_at(base + k) - max_value);
  }
  sum = workgroup_sum(sum);
  for (uint k = t; in_range && k < pc.n; k += gl_WorkGroupSize.x) {
    write_result(base + k, x_at(base + k), max_value, sum);
  }
}

void main() {
  if (COLUMNS) {
    softmax_column(global_index());
  } else {
    softmax_row(gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x);
  }
}
