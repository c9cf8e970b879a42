#version 450
// Adam(W) updates of up to MAX_TENSORS parameters in one dispatch, as torch.optim.Adam
// and AdamW (backend.h: AdamStep), over contiguous float32 tensors. Each parameter owns
// a run of workgroups (the table gives each its first workgroup), so the array index is
// the same across a workgroup. Step-dependent factors come from the host, in double.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

#define MAX_TENSORS 7  // 4 x 7 + 1 buffers stay within 31, what Metal offers a stage
#define TABLE_WORDS 6  // per tensor: first workgroup, n, then the four element offsets

layout(std430, binding = 0) buffer Param { float data[]; } param[MAX_TENSORS];
layout(std430, binding = 1) buffer ExpAvg { float data[]; } exp_avg[MAX_TENSORS];
layout(std430, binding = 2) buffer ExpAvgSq { float data[]; } exp_avg_sq[MAX_TENSORS];
layout(std430, binding = 3) readonly buffer Grad { float data[]; } grad[MAX_TENSORS];
layout(std430, binding = 4) readonly buffer Table { uint table[]; };

layout(push_constant) uniform Push {
  uint count;  // tensors in this dispatch
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
  uint group = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
  uint t = 0u;
  while (t + 1u < pc.count && table[(t + 1u) * TABLE_WORDS] <= group) ++t;
  uint base = t * TABLE_WORDS;
  uint i = (group - table[base]) * gl_WorkGroupSize.x + gl_LocalInvocationID.x;
  if (i >= table[base + 1u]) return;
  uint p_at = table[base + 2u] + i, m_at = table[base + 3u] + i;
  uint v_at = table[base + 4u] + i, g_at = table[base + 5u] + i;
  float p = param[t].data[p_at];
  float g = grad[t].data[g_at];
  if (pc.decoupled != 0u) {
    p *= pc.decay;
  } else {
    g += pc.weight_decay * p;
  }
  float m = pc.beta1 * exp_avg[t].data[m_at] + (1.0 - pc.beta1) * g;
  float v = pc.beta2 * exp_avg_sq[t].data[v_at] + (1.0 - pc.beta2) * g * g;
  exp_avg[t].data[m_at] = m;
  exp_avg_sq[t].data[v_at] = v;
  param[t].data[p_at] = p - pc.step_size * m / (sqrt(v) / pc.sqrt_c2 + pc.eps);
}
