#version 450
// Fused cross-entropy over contiguous float32 logits [N, C] with int64 targets [N]: one
// workgroup per row. FORWARD writes losses[n]; BACKWARD writes grad_logits[n, :] from
// grad_losses[n]. Label smoothing s and ignore_index as in backend.h.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#define CHECKS_BINDING 4
#include "checks.glsl"

layout(std430, binding = 0) buffer Out { float out_data[]; };
layout(std430, binding = 1) readonly buffer Logits { float logits[]; };
layout(std430, binding = 2) readonly buffer Target { uint target_words[]; };
layout(std430, binding = 3) readonly buffer GradLosses { float grad_losses[]; };

layout(push_constant) uniform Push {
  uint rows;
  uint classes;
  uint backward;
  float smoothing;
  uint ignore_lo, ignore_hi;
  uint logits_offset;
  uint target_offset;
  uint grad_offset;
  uint check_slot;
} pc;

#define CHECK_TARGET 1u

#define SUBGROUP_REDUCE_ID 1
#include "workgroup_reduce.glsl"

void main() {
  uint row = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
  uint t = gl_LocalInvocationID.x;
  bool in_range = row < pc.rows;
  uint base = pc.logits_offset + row * pc.classes;
  uint ti = pc.target_offset + row;
  int64_t target = in_range ? int64_t(packUint2x32(uvec2(target_words[2u * ti], target_words[2u * ti + 1u])))
                            : 0l;
  bool ignored = target == int64_t(packUint2x32(uvec2(pc.ignore_lo, pc.ignore_hi)));
  bool bad = in_range && !ignored && (target < 0l || target >= int64_t(pc.classes));
  if (bad && t == 0u) report_error(pc.check_slot, CHECK_TARGET, target, pc.classes, row);

  float max_value = uintBitsToFloat(0xff800000u);
  for (uint c = t; in_range && c < pc.classes; c += gl_WorkGroupSize.x) {
    float v = logits[base + c];
    max_value = (is_nan(max_value) || max_value > v) ? max_value : v;
  }
  max_value = workgroup_max(max_value);
  float sum = 0.0, logit_sum = 0.0;
  for (uint c = t; in_range && c < pc.classes; c += gl_WorkGroupSize.x) {
    float v = logits[base + c];
    sum += exp(v - max_value);
    logit_sum += v;
  }
  sum = workgroup_sum(sum);
  logit_sum = workgroup_sum(logit_sum);
  if (!in_range) return;
  float s = pc.smoothing;
  if (pc.backward == 0u) {
    if (t != 0u) return;
    float loss = 0.0;
    if (!ignored && !bad) {
      float lse = max_value + log(sum);
      loss = (1.0 - s) * (lse - logits[base + uint(target)]) +
             s * (lse - logit_sum / float(pc.classes));
    }
    out_data[row] = loss;
    return;
  }
  float g = grad_losses[pc.grad_offset + row];
  for (uint c = t; c < pc.classes; c += gl_WorkGroupSize.x) {
    float value = 0.0;
    if (!ignored && !bad) {
      float p = exp(logits[base + c] - max_value) / sum;
      value = g * (p - (int64_t(c) == target ? 1.0 - s : 0.0) - s / float(pc.classes));
    }
    out_data[row * pc.classes + c] = value;
  }
}
