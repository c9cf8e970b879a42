#version 450
// One Adam(W) update in place, as torch.optim.Adam/AdamW (backend.h: AdamStep), over
// contiguous float32 param, grad, exp_avg and exp_avg_sq. Step-dependent factors come
// from the host, computed in double as on the CPU.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(std430, binding = 0) buffer Param { float param[]; };
layout(std430, binding = 1) buffer ExpAvg { float exp_avg[]; };
layout(std430, binding = 2) buffer ExpAvgSq { float exp_avg_sq[]; };
layout(std430, binding = 3) readonly buffer Grad { float grad[]; };

layout(push_constant) uniform Push {
  uint n;
  uint param_offset;
  uint exp_avg_offset;
  uint exp_avg_sq_offset;
  uint grad_offset;
  uint decoupled;
  float beta1;
  float beta2;
  float weight_decay;
  float decay;      // 1 - lr * weight_decay
  float step_size;  // lr / (1 - beta1^step)
  float sqrt_c2;    // sqrt(1 - beta2^step)
  float eps;
} pc;

void main() {
  uint i = global_index();
  if (i >= pc.n) return;
  float p = param[pc.param_offset + i];
  float g = grad[pc.grad_offset + i];
  if (pc.decoupled != 0u) {
    p *= pc.decay;
  } else {
    g += pc.weight_decay * p;
  }
  float m = pc.beta1 * exp_avg[pc.exp_avg_offset + i] + (1.0 - pc.beta1) * g;
  float v = pc.beta2 * exp_avg_sq[pc.exp_avg_sq_offset + i] + (1.0 - pc.beta2) * g * g;
  exp_avg[pc.exp_avg_offset + i] = m;
  exp_avg_sq[pc.exp_avg_sq_offset + i] = v;
  param[pc.param_offset + i] = p - pc.step_size * m / (sqrt(v) / pc.sqrt_c2 + pc.eps);
}
