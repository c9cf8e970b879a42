#version 450
// Fused layer norm over the rows of contiguous float32 x [rows, cols]: one workgroup per
// row. FORWARD writes out, mean and rstd; BACKWARD writes grad_x from grad_out, x, mean
// and rstd (backend.h). weight and bias are optional (has_weight, has_bias).
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(std430, binding = 0) buffer Out { float out_data[]; };     // out or grad_x
layout(std430, binding = 1) buffer Mean { float mean_data[]; };
layout(std430, binding = 2) buffer Rstd { float rstd_data[]; };
layout(std430, binding = 3) readonly buffer X { float x_data[]; };
layout(std430, binding = 4) readonly buffer Weight { float weight[]; };
layout(std430, binding = 5) readonly buffer Bias { float bias[]; };
layout(std430, binding = 6) readonly buffer GradOut { float grad_out[]; };

layout(push_constant) uniform Push {
  uint rows;
  uint cols;
  uint backward;
  uint has_weight;
  uint has_bias;
  float eps;
  uint x_offset;
  uint weight_offset;
  uint bias_offset;
  uint grad_offset;
} pc;

#define SUBGROUP_REDUCE_ID 1
#include "workgroup_reduce.glsl"

float weight_at(uint c) { return pc.has_weight != 0u ? weight[pc.weight_offset + c] : 1.0; }

void forward(uint row, bool in_range) {
  uint t = gl_LocalInvocationID.x;
  uint base = pc.x_offset + row * pc.cols;
  float sum = 0.0;
  for (uint c = t; in_range && c < pc.cols; c += gl_WorkGroupSize.x) sum += x_data[base + c];
  float m = workgroup_sum(sum) / float(pc.cols);
  float squares = 0.0;
  for (uint c = t; in_range && c < pc.cols; c += gl_WorkGroupSize.x) {
    float d = x_data[base + c] - m;
    squares += d * d;
  }
  float inv = 1.0 / sqrt(workgroup_sum(squares) / float(pc.cols) + pc.eps);
  if (!in_range) return;
  if (t == 0u) {
    mean_data[row] = m;
    rstd_data[row] = inv;
  }
  for (uint c = t; c < pc.cols; c += gl_WorkGroupSize.x) {
    float b = pc.has_bias != 0u ? bias[pc.bias_offset + c] : 0.0;
    out_data[row * pc.cols + c] = (x_data[base + c] - m) * inv * weight_at(c) + b;
  }
}

void backward(uint row, bool in_range) {
  uint t = gl_LocalInvocationID.x;
  uint base = pc.x_offset + row * pc.cols;
  uint g_base = pc.grad_offset + row * pc.cols;
  float m = in_range ? mean_data[row] : 0.0;
  float inv = in_range ? rstd_data[row] : 0.0;
  float sum_g = 0.0, sum_g_xhat = 0.0;
  for (uint c = t; in_range && c < pc.cols; c += gl_WorkGroupSize.x) {
    float gw = grad_out[g_base + c] * weight_at(c);
    sum_g += gw;
    sum_g_xhat += gw * (x_data[base + c] - m) * inv;
  }
  float mean_g = workgroup_sum(sum_g) / float(pc.cols);
  float mean_g_xhat = workgroup_sum(sum_g_xhat) / float(pc.cols);
  if (!in_range) return;
  for (uint c = t; c < pc.cols; c += gl_WorkGroupSize.x) {
    float gw = grad_out[g_base + c] * weight_at(c);
    float xhat = (x_data[base + c] - m) * inv;
    out_data[row * pc.cols + c] = inv * (gw - mean_g - xhat * mean_g_xhat);
  }
}

void main() {
  uint row = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
  if (pc.backward != 0u) {
    backward(row, row < pc.rows);
  } else {
    forward(row, row < pc.rows);
  }
}
