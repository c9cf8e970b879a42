#version 450
// Fused layer norm over the rows of contiguous float x [rows, cols]: one workgroup per
// row, computed in float32; out, x, weight, bias and grad_out have x's dtype (a storage
// variant each, elements.glsl), mean and rstd are float32. FORWARD writes out, mean and
// rstd; BACKWARD writes grad_x from grad_out, x, mean and rstd (backend.h). weight and
// bias are optional (has_weight, has_bias).
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "elements.glsl"

DATA_TENSOR(out_data, 0)  // out or grad_x
layout(std430, binding = 1) buffer Mean { float mean_data[]; };
layout(std430, binding = 2) buffer Rstd { float rstd_data[]; };
DATA_TENSOR(x_data, 3)
DATA_TENSOR(weight_data, 4)
DATA_TENSOR(bias_data, 5)
DATA_TENSOR(grad_data, 6)

layout(push_constant) uniform Push {
  uint rows;
  uint cols;
  float eps;
  uint x_offset;
  uint weight_offset;
  uint bias_offset;
  uint grad_offset;
} pc;

#include "workgroup_reduce.glsl"
// The dtype of every DATA_TENSOR, for the 32-bit-word variant.
layout(constant_id = 1) const uint DTYPE = DT_F32;
layout(constant_id = 2) const bool BACKWARD = false;
layout(constant_id = 3) const bool HAS_WEIGHT = false;
layout(constant_id = 4) const bool HAS_BIAS = false;

float x_at(uint i) { return x_data_load_float(i, DTYPE); }
float grad_at(uint i) { return grad_data_load_float(i, DTYPE); }
void store_out(uint i, float v) { out_data_store_float(i, DTYPE, v); }

float weight_at(uint c) {
  return HAS_WEIGHT ? weight_data_load_float(pc.weight_offset + c, DTYPE) : 1.0;
}

void forward(uint row, bool in_range) {
  uint t = gl_LocalInvocationID.x;
  uint base = pc.x_offset + row * pc.cols;
  float sum = 0.0;
  for (uint c = t; in_range && c < pc.cols; c += gl_WorkGroupSize.x) sum += x_at(base + c);
  float m = workgroup_sum(sum) / float(pc.cols);
  float squares = 0.0;
  for (uint c = t; in_range && c < pc.cols; c += gl_WorkGroupSize.x) {
    float d = x_at(base + c) - m;
    squares += d * d;
  }
  float inv = 1.0 / sqrt(workgroup_sum(squares) / float(pc.cols) + pc.eps);
  if (!in_range) return;
  if (t == 0u) {
    mean_data[row] = m;
    rstd_data[row] = inv;
  }
  for (uint c = t; c < pc.cols; c += gl_WorkGroupSize.x) {
    float b = HAS_BIAS ? bias_data_load_float(pc.bias_offset + c, DTYPE) : 0.0;
    store_out(row * pc.cols + c, (x_at(base + c) - m) * inv * weight_at(c) + b);
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
    float gw = grad_at(g_base + c) * weight_at(c);
    sum_g += gw;
    sum_g_xhat += gw * (x_at(base + c) - m) * inv;
  }
  float mean_g = workgroup_sum(sum_g) / float(pc.cols);
  float mean_g_xhat = workgroup_sum(sum_g_xhat) / float(pc.cols);
  if (!in_range) return;
  for (uint c = t; c < pc.cols; c += gl_WorkGroupSize.x) {
    float gw = grad_at(g_base + c) * weight_at(c);
    float xhat = (x_at(base + c) - m) * inv;
    store_out(row * pc.cols + c, inv * (gw - mean_g - xhat * mean_g_xhat));
  }
}

void main() {
  uint row = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
  if (BACKWARD) {
    backward(row, row < pc.rows);
  } else {
    forward(row, row < pc.rows);
  }
}
