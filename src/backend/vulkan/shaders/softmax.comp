#version 450
// softmax and log_softmax of a contiguous float32 [outer, n, inner] tensor over n.
// ROWS (inner == 1): one workgroup per row, shared-memory trees for the max and the sum.
// COLUMNS: one invocation per (outer, inner) pair, walking n in order.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(std430, binding = 0) buffer Out { float out_data[]; };
layout(std430, binding = 1) readonly buffer X { float x_data[]; };

layout(push_constant) uniform Push {
  uint outer;
  uint n;
  uint inner;
  uint log_softmax;
  uint columns;
  uint x_offset;
} pc;

shared float partial[gl_WorkGroupSize.x];

float combine_max(float a, float b) { return (is_nan(a) || a > b) ? a : b; }

void write_result(uint at, float x, float max_value, float sum) {
  out_data[at - pc.x_offset] =
      pc.log_softmax != 0u ? (x - max_value) - log(sum) : exp(x - max_value) / sum;
}

void softmax_column(uint item) {
  if (item >= pc.outer * pc.inner) return;
  uint o = item / pc.inner, i = item % pc.inner;
  uint base = pc.x_offset + o * pc.n * pc.inner + i;
  float max_value = uintBitsToFloat(0xff800000u);
  for (uint k = 0u; k < pc.n; ++k) max_value = combine_max(max_value, x_data[base + k * pc.inner]);
  float sum = 0.0;
  for (uint k = 0u; k < pc.n; ++k) sum += exp(x_data[base + k * pc.inner] - max_value);
  for (uint k = 0u; k < pc.n; ++k) {
    write_result(base + k * pc.inner, x_data[base + k * pc.inner], max_value, sum);
  }
}

// The tree combine of every invocation's value: the max (first) or the sum.
float workgroup_reduce(float value, bool is_max) {
  uint t = gl_LocalInvocationID.x;
  partial[t] = value;
  barrier();
  for (uint half_size = gl_WorkGroupSize.x / 2u; half_size > 0u; half_size /= 2u) {
    if (t < half_size) {
      float other = partial[t + half_size];
      partial[t] = is_max ? combine_max(partial[t], other) : partial[t] + other;
    }
    barrier();
  }
  float result = partial[0];
  barrier();  // partial is reused by the next call
  return result;
}

void softmax_row(uint row) {
  uint t = gl_LocalInvocationID.x;
  bool in_range = row < pc.outer;
  uint base = pc.x_offset + row * pc.n;
  float max_value = uintBitsToFloat(0xff800000u);
  for (uint k = t; in_range && k < pc.n; k += gl_WorkGroupSize.x) {
    max_value = combine_max(max_value, x_data[base + k]);
  }
  max_value = workgroup_reduce(max_value, true);
  float sum = 0.0;
  for (uint k = t; in_range && k < pc.n; k += gl_WorkGroupSize.x) sum += exp(x_data[base + k] - max_value);
  sum = workgroup_reduce(sum, false);
  for (uint k = t; in_range && k < pc.n; k += gl_WorkGroupSize.x) {
    write_result(base + k, x_data[base + k], max_value, sum);
  }
}

void main() {
  if (pc.columns != 0u) {
    softmax_column(global_index());
  } else {
    softmax_row(gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x);
  }
}
